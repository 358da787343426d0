// The proxy's answers off the steady walk of `/{path}/mcp`: an upstream
// body that must be rewritten (a marked tools/list answer, refusals to merge,
// a resumed GET stream, JSON lines re-framed as SSE), an upstream error
// status, an invalid upstream answer. streamable-proxy.ts streams plain
// answers through untouched and calls here only for these.

import { ErrorCode, errorResponse, type JsonRpcId, type JsonRpcResponse } from "../protocol/jsonrpc.ts";
import { jsonRpcReply, sessionNotFound } from "../protocol/replies.ts";
import { type SseEvent, transformSseStream } from "../protocol/sse.ts";
import type { leasedExchange } from "../upstream/leased-exchange.ts";
import { clientResponseHeaders } from "../upstream/upstream-request.ts";
import { rewriteIncoming, rewriteIncomingJson } from "./message-rewrite.ts";
import type { ProxyContext } from "./proxy-context.ts";

/** Drops an answer that will not be used (its body would otherwise hold the connection). */
export async function discard(exchange: Awaited<ReturnType<typeof leasedExchange>>): Promise<void> {
  if (!("refusal" in exchange) && "response" in exchange.result)
    await exchange.result.response.body?.cancel();
}

/** The headers of every SSE answer the proxy streams to a client. */
export const SSE_STREAM_HEADERS: readonly (readonly [string, string])[] = [
  ["content-type", "text/event-stream"],
  ["cache-control", "no-cache"],
  ["x-accel-buffering", "no"],
];

export function sseHeaders(response: Response): Response {
  for (const [name, value] of SSE_STREAM_HEADERS) response.headers.set(name, value);
  return response;
}

/** Streams the upstream's SSE body to the client, message by message. */
export function sseResponse(
  ctx: ProxyContext,
  response: Response,
  headers: Headers,
  refusals: JsonRpcResponse[],
): Response {
  const prefix: SseEvent[] = refusals.map((refusal) => ({
    event: "message",
    data: JSON.stringify(refusal),
    comments: [],
  }));
  const body = transformSseStream(
    response.body as ReadableStream<Uint8Array>,
    (event) => [rewriteSseMessage(event, ctx)],
    prefix,
  );
  return sseHeaders(new Response(body, { status: response.status, headers }));
}

export function rewriteSseMessage(event: SseEvent, ctx: Pick<ProxyContext, "guard">): SseEvent {
  if (event.event !== undefined && event.event !== "message") return event;
  if (event.data === "") return event;
  let message: unknown;
  try {
    message = JSON.parse(event.data);
  } catch {
    return event;
  }
  const rewritten = rewriteIncoming(message, ctx.guard);
  return rewritten === message ? event : { ...event, data: JSON.stringify(rewritten) };
}

/**
 * An upstream error status. The upstream's own 401/403 concern the gateway's
 * egress credential, not the client's: passing them (and their
 * WWW-Authenticate) on would send the client to the wrong authorization
 * server, so they become 502.
 */
export async function upstreamError(
  ctx: ProxyContext,
  response: Response,
  ids: JsonRpcId[],
  refusals: JsonRpcResponse[],
  batch: boolean,
  hadSession: boolean,
): Promise<Response> {
  const text = await response.text().catch(() => "");
  if (response.status === 404 && hadSession) return sessionNotFound();
  const redirect = response.status >= 300 && response.status < 400;
  if (response.status === 401 || response.status === 403 || redirect) {
    // A redirect is not followed (it could lead the gateway's credential elsewhere) and is reported as what it is.
    const message = redirect
      ? `The upstream answered with a redirect (HTTP ${response.status}); the gateway does not follow redirects`
      : "The upstream refused the gateway's credentials";
    const errors = ids.map((id) => errorResponse(id, ErrorCode.UpstreamUnavailable, message));
    const all = [...errors, ...refusals];
    return jsonRpcReply(
      batch ? all : (all[0] ?? errorResponse(null, ErrorCode.UpstreamUnavailable, message)),
      502,
    );
  }
  const headers = clientResponseHeaders(response.headers);
  try {
    const parsed: unknown = JSON.parse(text);
    const out = new Response(JSON.stringify(rewriteIncomingJson(parsed, ctx.guard)), {
      status: response.status,
      headers,
    });
    out.headers.set("content-type", "application/json");
    return out;
  } catch {
    const errors = ids.map((id) =>
      errorResponse(id, ErrorCode.UpstreamUnavailable, `Upstream answered HTTP ${response.status}`),
    );
    const all = [...errors, ...refusals];
    const status = response.status >= 500 ? 502 : response.status;
    return jsonRpcReply(
      batch
        ? all
        : (all[0] ??
            errorResponse(null, ErrorCode.UpstreamUnavailable, `Upstream answered HTTP ${response.status}`)),
      status,
    );
  }
}

export function invalidUpstream(id: JsonRpcId): JsonRpcResponse {
  return errorResponse(id, ErrorCode.UpstreamUnavailable, "The upstream returned an invalid response");
}
