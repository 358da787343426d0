// The common front of every MCP endpoint (`/{path}/mcp`, `/{path}/sse`,
// `/{path}/message`, `/mcp`, `/v/{name}/mcp` and its legacy pair), in order:
// the Origin check (the transport's DNS-rebinding defence), the bearer token
// to a principal, the caller's identity and tenant rate limits (on the
// aggregated and virtual endpoints; per-server limits are charged where a
// replica is leased) and the body size limit. One middleware instead of four,
// whose steady request (no Origin, a token already verified, no limit
// configured, a Content-Length within the limit) stays in this module and
// the authentication chain: `http/origin.ts`, `resilience/request-rate-limit.ts`
// and `http/json-body.ts` are entered only when there is something for them.
import type { MiddlewareHandler } from "hono";
import { authenticateBearer } from "../auth/authenticate.ts";
import { limitBodySize, payloadTooLarge } from "../http/json-body.ts";
import { mcpOriginRefusal } from "../http/origin.ts";
import { chargeRequestLimits } from "../resilience/request-rate-limit.ts";

export interface McpFrontOptions {
  /** Charge the caller's identity and tenant limits (refused with JSON-RPC -32012). */
  rateLimit: boolean;
  /** Refuse bodies over MAX_BODY_BYTES (413 problem+json). */
  bodyLimit: boolean;
}

/** The body limit for a body of unknown length (read and counted; http/json-body.ts). */
const countedBodyLimit = limitBodySize();

export function mcpFront(options: McpFrontOptions): MiddlewareHandler<{ Bindings: Env }> {
  return async function mcpFrontMiddleware(c, next) {
    const raw = c.req.raw;
    const config = c.get("config");
    // Non-browser clients send no Origin: nothing to check.
    const origin = raw.headers.get("origin");
    if (origin !== null) {
      const refusal = mcpOriginRefusal(origin, raw.url, config);
      if (refusal) return refusal;
    }
    const unauthorized = await authenticateBearer(c);
    if (unauthorized) return unauthorized;
    const limits = config.resilience.rateLimits;
    if (options.rateLimit && (limits.identity !== null || limits.tenant !== null)) {
      const rest = options.bodyLimit ? () => withinBodyLimit(c, config.maxBodyBytes, next) : next;
      return chargeRequestLimits(c, "jsonrpc", rest);
    }
    // No closure on the steady path (each one is also named by the bundle's __name helper).
    if (options.bodyLimit) return withinBodyLimit(c, config.maxBodyBytes, next);
    await next();
  };
}

/**
 * A declared length is compared with the limit (as Hono's bodyLimit does);
 * a body without one (chunked) is read and counted by http/json-body.ts. The
 * header is read first: touching `Request.body` makes the runtime build the
 * body's stream object (~0.6% of the isolate's time in bench:profile).
 */
async function withinBodyLimit(
  c: Parameters<MiddlewareHandler<{ Bindings: Env }>>[0],
  maxBytes: number,
  next: () => Promise<void>,
): Promise<void> {
  const headers = c.req.raw.headers;
  const length = headers.get("content-length");
  if (length !== null && !headers.has("transfer-encoding")) {
    if (Number.parseInt(length, 10) > maxBytes) throw payloadTooLarge(maxBytes);
    return next();
  }
  if (c.req.raw.body === null) return next();
  await countedBodyLimit(c, next);
}
