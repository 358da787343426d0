// What a client may send to register or change an MCP server. These schemas
// validate REST input and also produce the OpenAPI document, so the two never
// disagree. Rules that need configuration (which hosts are allowed) live in
// upstream-url-policy.ts.
import { z } from "zod";
import { RegistryName } from "./registry-names.ts";

/** Paths the gateway itself serves; a server cannot take them. */
export const RESERVED_PATHS = new Set([
  "api",
  "mcp",
  "health",
  "metrics",
  "v",
  "v0",
  "v0.1",
  "auth",
  "oauth",
  "login",
  "logout",
  "dashboard",
  "static",
  "assets",
  "ws",
  "well-known",
  // `all` is the keyword for "every server" in the scopes configuration.
  "all",
  // `broadcast__{tool}` names the aggregated endpoint's broadcast tools.
  "broadcast",
]);

export const PathSlug = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/,
    "use 1-64 lowercase letters, digits and inner hyphens (e.g. github-tools)",
  )
  .refine((path) => !RESERVED_PATHS.has(path), "this path is reserved by the gateway")
  .meta({ description: "URL slug: the server is reached at /{path}/mcp", example: "github-tools" });

export const Tag = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._:-]*$/u, "tags are letters, digits, spaces and . _ : -");

export const SecretName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]{0,127}$/, "name a secret (UPPER_SNAKE_CASE), never its value")
  .meta({ description: "Name of a Worker secret holding the value" });

const HeaderOrQueryName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "not a valid header/parameter name");

function hasCredentials(url: string): boolean {
  const parsed = URL.parse(url);
  return parsed !== null && (parsed.username !== "" || parsed.password !== "");
}

export const UpstreamEndpointInput = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
    .max(2048)
    // Refinements run even after the URL check failed, so each must cope with
    // text that is not a URL (and leave that complaint to the URL check).
    .refine((url) => !hasCredentials(url), "credentials do not belong in the URL; use egress")
    .refine((url) => !url.includes("#"), "a URL fragment is not allowed"),
  transport: z.enum(["streamable-http", "sse"]).default("streamable-http"),
  weight: z.int().min(1).max(1000).default(1),
});

const ProviderUrl = z
  .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
  .max(2048)
  .refine((url) => !hasCredentials(url), "credentials do not belong in the URL")
  .refine((url) => !url.includes("#"), "a URL fragment is not allowed");

export const EgressInput = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("bearer"), secret: SecretName }),
  z.strictObject({
    type: z.literal("api_key"),
    secret: SecretName,
    in: z.enum(["header", "query"]).default("header"),
    name: HeaderOrQueryName.default("X-API-Key"),
  }),
  z.strictObject({ type: z.literal("basic"), username: z.string().min(1).max(256), secret: SecretName }),
  z.strictObject({
    type: z.literal("template"),
    secret: SecretName,
    in: z.enum(["header", "query"]).default("header"),
    name: HeaderOrQueryName,
    template: z
      .string()
      .max(512)
      .refine((template) => template.includes("{secret}"), "the template must contain {secret}"),
  }),
  z
    .strictObject({
      type: z.literal("oauth"),
      provider: z.strictObject({
        authorizeUrl: ProviderUrl.meta({ description: "The provider's authorization endpoint" }),
        tokenUrl: ProviderUrl.meta({
          description: "The provider's token endpoint (code and refresh grants)",
        }),
        clientId: z.string().min(1).max(512),
        clientSecret: SecretName.optional().meta({
          description: "Name of the secret holding the client secret; omit for a public client (PKCE only)",
        }),
        scopes: z
          .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/, "not a valid OAuth scope"))
          .max(50)
          .default([]),
      }),
    })
    .meta({
      description:
        "Per-user credentials: each user connects their own account (3-legged OAuth); their token goes only to their own requests",
    }),
]);

// Resilience settings (worker/resilience/; defaults and meaning in README "Resilience").
export const LoadBalancingInput = z
  .strictObject({
    strategy: z
      .enum(["round-robin", "weighted", "least-connections", "random", "consistent-hash"])
      .default("weighted"),
    hashOn: z.enum(["identity", "session"]).default("identity"),
  })
  .meta({ description: "How a replica is chosen; hashOn applies to consistent-hash" });

export const CircuitBreakerInput = z
  .strictObject({
    failureThreshold: z.int().min(1).max(1000).optional(),
    cooldownMs: z.int().min(100).max(3_600_000).optional(),
    halfOpenSuccesses: z.int().min(1).max(100).optional(),
  })
  .meta({ description: "Overrides of the gateway's circuit-breaker defaults; omitted fields keep them" });

export const HealthCheckInput = z
  .strictObject({
    enabled: z.boolean().optional(),
    intervalSeconds: z.int().min(5).max(86_400).optional(),
    timeoutMs: z.int().min(100).max(60_000).optional(),
    degradedLatencyMs: z.int().min(1).max(60_000).optional(),
  })
  .meta({ description: "Overrides of the gateway's health-check defaults; omitted fields keep them" });

export const RateLimitInput = z
  .strictObject({
    requests: z.int().min(1).max(1_000_000),
    windowSeconds: z.int().min(1).max(86_400),
  })
  .meta({ description: "Requests each identity may send to this server per window" });

const Metadata = z
  .record(z.string().max(100), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 16_384, "metadata must serialise to at most 16 KiB");

const serverFields = {
  name: z.string().trim().min(1).max(200),
  path: PathSlug,
  description: z.string().max(4000),
  tags: z
    .array(Tag)
    .max(32)
    .transform((tags) => [...new Set(tags)]),
  endpoints: z.array(UpstreamEndpointInput).min(1).max(16),
  timeoutMs: z.int().min(1000).max(300_000),
  egress: EgressInput.nullable(),
  license: z.string().max(100).nullable(),
  version: z.string().max(100).nullable(),
  metadata: Metadata,
  enabled: z.boolean(),
  visibility: z.enum(["public", "private", "group"]),
  groups: z
    .array(z.string().trim().min(1).max(200))
    .max(32)
    .transform((groups) => [...new Set(groups)])
    .meta({ description: "Who may see the server when visibility is `group`" }),
  lifecycle: z.enum(["active", "deprecated"]),
  loadBalancing: LoadBalancingInput,
  circuitBreaker: CircuitBreakerInput.nullable(),
  healthCheck: HealthCheckInput.nullable(),
  rateLimit: RateLimitInput.nullable(),
  registryName: RegistryName.nullable(),
  auditArguments: z.enum(["none", "redacted", "full"]).meta({
    description:
      "What the audit log keeps of tool-call arguments: `none` (default), `redacted` (secret-looking keys and values hidden) or `full`",
  }),
};

export const ServerCreateInput = z
  .strictObject({
    name: serverFields.name,
    path: serverFields.path,
    description: serverFields.description.default(""),
    tags: serverFields.tags.default([]),
    endpoints: serverFields.endpoints,
    timeoutMs: serverFields.timeoutMs.optional(),
    egress: serverFields.egress.default(null),
    license: serverFields.license.default(null),
    version: serverFields.version.default(null),
    metadata: serverFields.metadata.default({}),
    enabled: serverFields.enabled.default(true),
    visibility: serverFields.visibility.default("public"),
    groups: serverFields.groups.default([]),
    lifecycle: serverFields.lifecycle.default("active"),
    loadBalancing: serverFields.loadBalancing.default({ strategy: "weighted", hashOn: "identity" }),
    circuitBreaker: serverFields.circuitBreaker.default(null),
    healthCheck: serverFields.healthCheck.default(null),
    rateLimit: serverFields.rateLimit.default(null),
    registryName: serverFields.registryName.default(null),
    auditArguments: serverFields.auditArguments.default("none"),
  })
  .meta({ id: "ServerCreate" });

export const ServerUpdateInput = z
  .strictObject({
    name: serverFields.name.optional(),
    path: serverFields.path.optional(),
    description: serverFields.description.optional(),
    tags: serverFields.tags.optional(),
    endpoints: serverFields.endpoints.optional(),
    timeoutMs: serverFields.timeoutMs.optional(),
    egress: serverFields.egress.optional(),
    license: serverFields.license.optional(),
    version: serverFields.version.optional(),
    metadata: serverFields.metadata.optional(),
    enabled: serverFields.enabled.optional(),
    visibility: serverFields.visibility.optional(),
    groups: serverFields.groups.optional(),
    lifecycle: serverFields.lifecycle.optional(),
    loadBalancing: serverFields.loadBalancing.optional(),
    circuitBreaker: serverFields.circuitBreaker.optional(),
    healthCheck: serverFields.healthCheck.optional(),
    rateLimit: serverFields.rateLimit.optional(),
    registryName: serverFields.registryName.optional(),
    auditArguments: serverFields.auditArguments.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: "send at least one field to change",
    // Only when nothing else is wrong: an unknown key already explains itself.
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: "ServerUpdate" });

export const BooleanQuery = z.enum(["true", "false"]).transform((value) => value === "true");

export const ServerListQuery = z.strictObject({
  enabled: BooleanQuery.optional(),
  tag: z.string().min(1).max(50).optional(),
  text: z.string().min(1).max(200).optional(),
  path: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

export type ServerCreate = z.output<typeof ServerCreateInput>;
export type ServerUpdate = z.output<typeof ServerUpdateInput>;
export type ServerListFilters = z.output<typeof ServerListQuery>;
