// Builds the Hono app: middleware order, route mounting and the error handler.
// Order matters: request id first (every log and problem carries it), then
// body limits, then authentication, then the routes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { authenticate } from "./auth/authenticate.ts";
import { apiCors } from "./http/cors.ts";
import { EndpointRouter } from "./http/endpoint-router.ts";
import { GatewayError } from "./http/errors.ts";
import { limitBodySize } from "./http/json-body.ts";
import { handleError } from "./http/problem.ts";
import { telemetry } from "./http/telemetry.ts";
import { restRateLimit } from "./resilience/request-rate-limit.ts";
import { adminAudit } from "./routes/admin-audit.ts";
import { agentRoutes, wellKnownAgentCardRoutes } from "./routes/agents.ts";
import { aggregatedMcpRoutes } from "./routes/aggregated-mcp.ts";
import { approvalRoutes } from "./routes/approvals.ts";
import { auditRoutes } from "./routes/audit.ts";
import { connectionRoutes, upstreamCallbackRoutes } from "./routes/connections.ts";
import { federationRoutes } from "./routes/federation.ts";
import { findingRoutes } from "./routes/findings.ts";
import { healthRoutes, LIVE_HEALTH_PATH } from "./routes/health.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { oauthRoutes } from "./routes/oauth.ts";
import { ratingRoutes } from "./routes/ratings.ts";
import { registryApiRoutes } from "./routes/registry-api.ts";
import { scopeRoutes } from "./routes/scopes.ts";
import { searchRoutes } from "./routes/search.ts";
import { serverJsonRoutes } from "./routes/server-json.ts";
import { serverMcpRoutes } from "./routes/server-mcp.ts";
import { serverRoutes } from "./routes/servers.ts";
import { SSO_PATHS, sessionCookieAuth, ssoRoutes } from "./routes/sso.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { usageRoutes } from "./routes/usage.ts";
import { virtualMcpRoutes } from "./routes/virtual-mcp.ts";
import { virtualServerRoutes } from "./routes/virtual-servers.ts";
import { wellKnownRoutes } from "./routes/well-known.ts";
import { provideServices } from "./services.ts";

type AppOptions = NonNullable<ConstructorParameters<typeof OpenAPIHono<{ Bindings: Env }>>[0]>;

/**
 * `router`: the EndpointRouter (http/endpoint-router.ts: the MCP endpoints
 * matched by a RegExpRouter, everything else by a TrieRouter) unless a test
 * passes Hono's own to compare answers.
 */
export function buildApp(options: { router?: AppOptions["router"] } = {}) {
  const app = new OpenAPIHono<{ Bindings: Env }>({ router: options.router ?? new EndpointRouter() });
  app.use(requestId({ headerName: "x-request-id" }));
  app.onError(handleError);
  app.notFound(() => {
    throw new GatewayError("not-found", { detail: "No such route" });
  });

  app.get("/health", (c) => c.json({ status: "ok" }));
  // Composition root: services and configuration on the context for everything below.
  app.use(provideServices());
  // The Host check (ALLOWED_HOSTS, self-hosted, against DNS rebinding; unset: every Host),
  // then trace context, ingress span and the request scope metrics and spans use.
  app.use(telemetry());
  app.route("/", wellKnownRoutes());
  // Prometheus exposition (scrape token or view_metrics).
  app.route("/", metricsRoutes());
  // Per-user upstream credentials: the provider's redirect back (before /oauth/*, which may 404).
  app.route("/", upstreamCallbackRoutes());
  // The gateway as OAuth authorization server (404 unless configured).
  app.route("/", oauthRoutes());

  const api = new OpenAPIHono<{ Bindings: Env }>();
  // CORS first: preflights carry no token, and refusals must be readable by an allowed dashboard.
  api.use(apiCors());
  api.use(limitBodySize());
  // Dashboard single sign-on: the session cookie (with CSRF) stands in for a bearer token.
  api.use(sessionCookieAuth());
  // Every /api/v1 route needs a bearer token unless listed here.
  // (The live-health WebSocket authenticates with a one-time ticket instead.)
  api.use(
    authenticate({
      except: [
        "/api/v1/openapi.json",
        "/api/v1/auth/dev-login",
        "/api/v1/auth/methods",
        LIVE_HEALTH_PATH,
        ...Object.values(SSO_PATHS),
      ],
    }),
  );
  // Per identity and per tenant (RATE_LIMIT_*); off unless configured.
  api.use(restRateLimit({ except: [LIVE_HEALTH_PATH] }));
  // Admin changes (servers, agents, scopes, tokens, approvals, federation, virtual servers) to the audit log.
  api.use(adminAudit());
  api.route("/", serverJsonRoutes());
  api.route("/", serverRoutes());
  api.route("/", scopeRoutes());
  api.route("/", tokenRoutes());
  api.route("/", searchRoutes());
  api.route("/", healthRoutes());
  api.route("/", usageRoutes());
  api.route("/", agentRoutes());
  api.route("/", ratingRoutes());
  api.route("/", findingRoutes());
  api.route("/", approvalRoutes());
  api.route("/", auditRoutes());
  api.route("/", federationRoutes());
  api.route("/", ssoRoutes());
  api.route("/", virtualServerRoutes());
  api.route("/", connectionRoutes());
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "MCP Gateway & Registry API",
      version: "1.0.0",
      description: "Register and govern MCP servers. Errors are application/problem+json (RFC 9457).",
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.route("/api/v1", api);
  // A2A: each registered agent's card at its well-known URL (before `/:path/...`).
  app.route("/", wellKnownAgentCardRoutes());
  // The MCP Registry API (/v0.1, /v0): its own authentication (optionally public).
  app.route("/", registryApiRoutes());
  // The aggregated endpoint /mcp before the per-server `/:path/...` routes.
  app.route("/", aggregatedMcpRoutes());
  // Virtual servers (/v/{name}/mcp) before `/:path/...` too.
  app.route("/", virtualMcpRoutes());
  // Per-server MCP endpoints last: `/:path/...` must not shadow fixed routes.
  app.route("/", serverMcpRoutes());
  return app;
}
