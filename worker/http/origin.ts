// Origin validation for routes a browser could be tricked into calling (DNS
// rebinding, cross-site requests). The MCP transport specification requires
// it: a present Origin that is not allowed gets 403. Requests without Origin
// (non-browser clients) pass; same-origin, PUBLIC_URL and ALLOWED_ORIGINS pass.
import type { MiddlewareHandler } from "hono";
import { ErrorCode, errorResponse } from "../protocol/jsonrpc.ts";

export function isAllowedOrigin(
  origin: string,
  requestUrl: string,
  config: { publicUrl: string | null; allowedOrigins: string[] },
): boolean {
  if (origin === new URL(requestUrl).origin) return true;
  if (config.publicUrl !== null && origin === config.publicUrl) return true;
  return config.allowedOrigins.includes(origin);
}

/** For MCP routes: refusals are a JSON-RPC error without an id, as the transport allows. */
export function mcpOriginCheck(): MiddlewareHandler<{ Bindings: Env }> {
  return async function mcpOriginCheckMiddleware(c, next) {
    const origin = c.req.header("origin");
    if (origin !== undefined && !isAllowedOrigin(origin, c.req.url, c.var.config)) {
      return c.json(errorResponse(null, ErrorCode.Forbidden, "Origin not allowed"), 403);
    }
    await next();
  };
}
