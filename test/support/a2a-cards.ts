// Agent Cards from the A2A specification (v0.3.0): the sample card of the
// specification's Agent Card section, and the minimal "Hello World" agent of
// the A2A samples. Used as "must pass" fixtures for card validation.

export function geoSpatialRoutePlannerCard(): Record<string, unknown> {
  return {
    protocolVersion: "0.3.0",
    name: "GeoSpatial Route Planner Agent",
    description:
      "Provides advanced route planning, traffic analysis, and custom map generation services. This agent can calculate optimal routes, estimate travel times considering real-time traffic, and create personalized maps with points of interest.",
    url: "https://georoute-agent.example.com/a2a/v1",
    preferredTransport: "JSONRPC",
    additionalInterfaces: [
      { url: "https://georoute-agent.example.com/a2a/v1", transport: "JSONRPC" },
      { url: "https://georoute-agent.example.com/a2a/grpc", transport: "GRPC" },
      { url: "https://georoute-agent.example.com/a2a/json", transport: "HTTP+JSON" },
    ],
    provider: { organization: "Example Geo Services Inc.", url: "https://www.examplegeoservices.com" },
    iconUrl: "https://georoute-agent.example.com/icon.png",
    version: "1.2.0",
    documentationUrl: "https://docs.examplegeoservices.com/georoute-agent/api",
    capabilities: { streaming: true, pushNotifications: true, stateTransitionHistory: false },
    securitySchemes: {
      google: {
        type: "openIdConnect",
        openIdConnectUrl: "https://accounts.google.com/.well-known/openid-configuration",
      },
    },
    security: [{ google: ["openid", "profile", "email"] }],
    defaultInputModes: ["application/json", "text/plain"],
    defaultOutputModes: ["application/json", "image/png"],
    skills: [
      {
        id: "route-optimizer-traffic",
        name: "Traffic-Aware Route Optimizer",
        description:
          "Calculates the optimal driving route between two or more locations, taking into account real-time traffic conditions, road closures, and user preferences (e.g., avoid tolls, prefer highways).",
        tags: ["maps", "routing", "navigation", "directions", "traffic"],
        examples: [
          "Plan a route from '1600 Amphitheatre Parkway, Mountain View, CA' to 'San Francisco International Airport' avoiding tolls.",
          '{"origin": {"lat": 37.422, "lng": -122.084}, "destination": {"lat": 37.7749, "lng": -122.4194}, "preferences": ["avoid_ferries"]}',
        ],
        inputModes: ["application/json", "text/plain"],
        outputModes: ["application/json", "application/vnd.geo+json", "text/html"],
      },
      {
        id: "custom-map-generator",
        name: "Personalized Map Generator",
        description:
          "Creates custom map images or interactive map views based on user-defined points of interest, routes, and style preferences. Can overlay data layers.",
        tags: ["maps", "customization", "visualization", "cartography"],
        examples: [
          "Generate a map of my upcoming road trip with all planned stops highlighted.",
          "Show me a map visualizing all coffee shops within a 1-mile radius of my current location.",
        ],
        inputModes: ["application/json"],
        outputModes: ["image/png", "image/jpeg", "application/json", "text/html"],
      },
    ],
    supportsAuthenticatedExtendedCard: true,
    signatures: [
      {
        protected:
          "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImtleS0xIiwiamt1IjoiaHR0cHM6Ly9leGFtcGxlLmNvbS9hZ2VudC9qd2tzLmpzb24ifQ",
        signature: "QFdkNLNszlGj3z3u0YQGt_T9LixY3qtdQpZmsTdDHDe3fXV9y9-B3m2-XgCpzuhiLt8E0tV6HXoZKHv4GtHgKQ",
      },
    ],
  };
}

export function helloWorldCard(): Record<string, unknown> {
  return {
    protocolVersion: "0.3.0",
    name: "Hello World Agent",
    description: "Just a hello world agent",
    url: "http://localhost:9999/",
    version: "1.0.0",
    defaultInputModes: ["text"],
    defaultOutputModes: ["text"],
    capabilities: { streaming: true },
    skills: [
      {
        id: "hello_world",
        name: "Returns hello world",
        description: "just returns hello world",
        tags: ["hello world"],
        examples: ["hi", "hello world"],
      },
    ],
  };
}

/** A small valid card with the given name and skills (for registry tests). */
export function cardNamed(
  name: string,
  skills: { id: string; name: string; description: string; tags: string[] }[],
) {
  return {
    ...helloWorldCard(),
    name,
    description: `${name}: an agent for tests`,
    url: `https://agents.example/${encodeURIComponent(name)}`,
    skills,
  };
}
