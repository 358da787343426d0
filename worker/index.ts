// Worker entry: the fetch handler is the Hono app. Durable Object classes are
// re-exported here as they appear so that wrangler can bind them.
import { buildApp } from "./app.ts";
import { isDashboardRequest } from "./http/dashboard-requests.ts";
import { runScheduled } from "./scheduled.ts";

export { HealthHub } from "../durable-objects/health-hub.ts";
export { LegacySseSession } from "../durable-objects/legacy-sse-session.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";
export { ServerState } from "../durable-objects/server-state.ts";
// McpSession with its entry points in the Worker's trace (durable-objects/traced-mcp-session.ts).
export { TracedMcpSession as McpSession } from "../durable-objects/traced-mcp-session.ts";

const app = buildApp();

export default {
  // The dashboard's files and SPA routes go to its own Worker (http/dashboard-requests.ts); a
  // deployment without that binding has no dashboard, and the gateway answers (404).
  fetch: (request: Request, env: Env, ctx: ExecutionContext) =>
    env.DASHBOARD !== undefined && isDashboardRequest(request)
      ? env.DASHBOARD.fetch(request)
      : app.fetch(request, env, ctx),
  // The Cron Trigger: Workers call scheduled(controller, env, ctx).
  scheduled: (controller, env, ctx) => runScheduled(env, controller, ctx),
} satisfies ExportedHandler<Env>;
