// CORS for the REST API, so a dashboard served from another origin (e.g. a
// Cloudflare Pages site) can call it. Only the origins named in
// ALLOWED_ORIGINS (exact match) get CORS headers; any other origin gets none,
// so the browser refuses to show it the answer. Credentials travel in the
// Authorization header, never in cookies, so Allow-Credentials is not sent.
// Preflights are answered here, before authentication (they carry no token).
import type { MiddlewareHandler } from "hono";

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";
const ALLOWED_HEADERS = "authorization, content-type, accept, if-match";
/** Response headers a cross-origin dashboard may read (errors, concurrency, rate limits, tracing). */
const EXPOSED_HEADERS = [
  "etag",
  "location",
  "retry-after",
  "ratelimit",
  "ratelimit-policy",
  "www-authenticate",
  "x-request-id",
].join(", ");
const PREFLIGHT_MAX_AGE_SECONDS = "600";

export function apiCors(): MiddlewareHandler<{ Bindings: Env }> {
  return async function apiCorsMiddleware(c, next) {
    const origin = c.req.header("origin");
    const allowed = origin !== undefined && c.var.config.allowedOrigins.includes(origin) ? origin : null;
    const isPreflight = c.req.method === "OPTIONS" && c.req.header("access-control-request-method");
    if (isPreflight) {
      if (allowed === null) return c.body(null, 403, { vary: "origin" });
      return c.body(null, 204, {
        "access-control-allow-origin": allowed,
        "access-control-allow-methods": ALLOWED_METHODS,
        "access-control-allow-headers": ALLOWED_HEADERS,
        "access-control-max-age": PREFLIGHT_MAX_AGE_SECONDS,
        vary: "origin",
      });
    }
    await next();
    // A WebSocket upgrade (live health) is not subject to CORS; its route checks Origin.
    if (c.res.status === 101) return;
    // Answers differ by Origin only in these headers; caches must keep them apart.
    c.header("vary", "origin", { append: true });
    if (allowed === null) return;
    c.header("access-control-allow-origin", allowed);
    c.header("access-control-expose-headers", EXPOSED_HEADERS);
  };
}
