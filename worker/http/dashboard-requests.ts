// Which requests the dashboard answers. The dashboard is a Worker of its own
// (static assets only, dashboard/wrangler.toml) behind the DASHBOARD service
// binding, so the gateway's MCP and API traffic never passes the assets router
// (a hop that cost `/{path}/mcp` about a tenth of its throughput locally).
// The gateway keeps its own namespaces, as the old `run_worker_first` list
// did: a path under one of them is always the gateway's, even when no route
// matches (an API client gets the gateway's JSON 404, never index.html).
// Every other GET or HEAD is the dashboard's: a file, or index.html for the
// SPA's own routes.
import { getPath } from "hono/utils/url";

/** The gateway's namespaces (`*` is any run of characters, `/` included). */
export const GATEWAY_PATHS: readonly string[] = [
  "/api/*",
  "/health",
  "/mcp",
  "/mcp/*",
  "/*/mcp",
  "/*/sse",
  "/*/message",
  "/.well-known/*",
  "/metrics",
  "/agents/*/.well-known/*",
  "/v0.1/*",
  "/v0/*",
  "/oauth/*",
  "/v/*",
];

const GATEWAY_PATH = new RegExp(
  `^(?:${GATEWAY_PATHS.map((pattern) => pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")).join("|")})$`,
);

/** The dashboard answers this request: a GET or HEAD outside the gateway's namespaces. */
export function isDashboardRequest(request: Request): boolean {
  // The MCP hot path is POST: one compare, no path work.
  if (request.method !== "GET" && request.method !== "HEAD") return false;
  // Hono's own reading of the path (percent-decoded as its router decodes it), so a path the
  // app would route is never sent to the dashboard because it was written encoded.
  return !GATEWAY_PATH.test(getPath(request));
}
