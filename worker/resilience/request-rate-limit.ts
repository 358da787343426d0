// Rate limits per request: after authentication, every request charges the
// caller's identity and tenant limits (RATE_LIMIT_PER_IDENTITY,
// RATE_LIMIT_PER_TENANT). Over the limit: 429 with Retry-After and the
// RateLimit headers, as problem+json on the REST API and as a JSON-RPC error
// on the MCP endpoints (routes/mcp-front.ts); under it, the RateLimit headers go on the answer. Per-server limits
// are charged where a replica is leased (worker/resilience/lease.ts); the
// per-server endpoints charge all three limits there.
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError } from "../http/errors.ts";
import { ErrorCode, errorResponse } from "../protocol/jsonrpc.ts";
import { chargeRateLimits, rateLimitHeaders } from "./rate-limit.ts";

export interface RestRateLimitOptions {
  /** Full request paths that are not counted (those without a principal). */
  except?: string[];
}

export function restRateLimit(options: RestRateLimitOptions = {}): MiddlewareHandler<{ Bindings: Env }> {
  return requestRateLimit("problem", options);
}

function requestRateLimit(
  refusal: "problem" | "jsonrpc",
  options: RestRateLimitOptions,
): MiddlewareHandler<{ Bindings: Env }> {
  const except = new Set(options.except ?? []);
  return async function rateLimitMiddleware(c, next) {
    if (except.has(c.req.path)) return next();
    return chargeRequestLimits(c, refusal, next);
  };
}

/** Charges the caller's identity and tenant limits, then runs `next` (or refuses with 429). */
export async function chargeRequestLimits(
  c: Context<{ Bindings: Env }>,
  refusal: "problem" | "jsonrpc",
  next: () => Promise<unknown>,
): Promise<Response | undefined> {
  const principal = c.get("principal");
  if (!principal) {
    await next();
    return;
  }
  const result = await chargeRateLimits({ env: c.env, settings: c.get("config").resilience }, principal, {
    charge: "all",
    waitUntil: (work) => c.executionCtx.waitUntil(work),
  });
  const headers = rateLimitHeaders(result);
  if (!result.allowed) {
    const detail = `Rate limit exceeded (${result.scope}); retry in ${headers["retry-after"]} s`;
    if (refusal === "problem") throw new GatewayError("too-many-requests", { detail, headers });
    return c.json(errorResponse(null, ErrorCode.RateLimited, detail, { scope: result.scope }), 429, headers);
  }
  await next();
  try {
    for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
  } catch {
    // An immutable response (passed through as is) goes without the informational headers.
  }
  return;
}
