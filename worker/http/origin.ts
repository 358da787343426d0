// Origin validation for routes a browser could be tricked into calling (DNS
// rebinding, cross-site requests). The MCP transport specification requires
// it: a present Origin that is not allowed gets 403. Requests without Origin
// (non-browser clients) pass; same-origin, PUBLIC_URL and ALLOWED_ORIGINS pass.
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

/**
 * The refusal of a request whose Origin is not allowed, or null. For MCP
 * routes: a JSON-RPC error without an id, as the transport allows. Asked
 * only when an Origin is present (routes/mcp-front.ts).
 */
export function mcpOriginRefusal(
  origin: string,
  requestUrl: string,
  config: { publicUrl: string | null; allowedOrigins: string[] },
): Response | null {
  if (isAllowedOrigin(origin, requestUrl, config)) return null;
  return Response.json(errorResponse(null, ErrorCode.Forbidden, "Origin not allowed"), { status: 403 });
}
