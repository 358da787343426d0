// Upstream session recovery on `/{path}/mcp`: when the upstream has lost the
// session the client's token names (it answers 404: it restarted, or expired
// the session), or the session's replica is gone, the gateway opens a new
// upstream session by replaying the client's initialize params (kept in the
// token, proxy-session.ts) and sends the request again, so the client never
// sees a half-dead session. What is resent follows the rule of the aggregated
// endpoint (upstream/upstream-call.ts): after a 404 or a refused lease the
// request provably never reached the upstream, so anything may go again;
// after a failed connection only idempotent methods (protocol/methods.ts) do.

import { waitWhile } from "../platform/wait-while.ts";
import type { JsonRpcResponse } from "../protocol/jsonrpc.ts";
import { mediaTypeOf } from "../protocol/media-type.ts";
import { isIdempotentMethod } from "../protocol/methods.ts";
import { SseParser } from "../protocol/sse.ts";
import { type Exchange, leasedExchange } from "../upstream/leased-exchange.ts";
import { fetchUpstream, upstreamCall } from "../upstream/upstream-request.ts";
import type { ProxyContext } from "./proxy-context.ts";
import { type ProxySession, rememberReplacement, replacementOf } from "./proxy-session.ts";

const REOPEN_ID = "gw:reopen";
export const ACCEPT_BOTH = "application/json, text/event-stream";

/** True when `exchange` shows the upstream lost the session and it may be opened again for `methods`. */
export function sessionLost(exchange: Exchange, session: ProxySession | null, methods: string[]): boolean {
  if (session === null || session.init === null || session.id === null) return false;
  if ("refusal" in exchange) return exchange.refusal.refused === "no_replica";
  const { result } = exchange;
  if ("kind" in result) return result.kind === "unreachable" && isIdempotentMethod(methods);
  return result.response.status === 404;
}

// One recovery per lost session at a time in this isolate: concurrent
// requests of the session use the new upstream session. They wait on their
// own timers and take the finished replacement, never the recovery's
// promise: under workerd, a request awaiting a fetch another request started
// would resume in that request's I/O context.
const reopening = new Set<string>();
const REOPEN_WAIT_MS = 30_000;

/** Opens a new upstream session for `lost`; null when the upstream cannot be initialized now. */
export async function reopenSession(ctx: ProxyContext, lost: ProxySession): Promise<ProxySession | null> {
  const key = `${ctx.server.id} ${lost.url} ${lost.id}`;
  if (reopening.has(key)) {
    await waitWhile(() => reopening.has(key), Math.max(ctx.server.timeoutMs, REOPEN_WAIT_MS));
    // The other recovery failed (or is stuck): this request tries itself.
    const renewed = replacementOf(lost);
    if (renewed !== null || reopening.has(key)) return renewed;
  }
  reopening.add(key);
  try {
    return await initializeAgain(ctx, lost);
  } finally {
    reopening.delete(key);
  }
}

async function initializeAgain(ctx: ProxyContext, lost: ProxySession): Promise<ProxySession | null> {
  const headers = new Headers({ accept: ACCEPT_BOTH, "content-type": "application/json" });
  const initialize = JSON.stringify({
    jsonrpc: "2.0",
    id: REOPEN_ID,
    method: "initialize",
    params: lost.init,
  });
  // Any replica will do: the new session lives wherever it is opened.
  const exchange = await leasedExchange(ctx, { methods: ["initialize"] }, async (endpoint) => {
    const call = upstreamCall(ctx.server, endpoint, headers, ctx.secrets);
    return fetchUpstream(call, { method: "POST", body: initialize }, ctx.server.timeoutMs, ctx.upstreamFetch);
  });
  if ("refusal" in exchange || "kind" in exchange.result) return null;
  const { response } = exchange.result;
  const id = response.headers.get("mcp-session-id");
  const answer = response.ok ? await answerTo(response, REOPEN_ID) : null;
  if (!response.bodyUsed) await response.body?.cancel();
  const result = answer?.result as { protocolVersion?: unknown } | undefined;
  if (result === undefined) return null;
  const version = typeof result.protocolVersion === "string" ? result.protocolVersion : lost.version;
  const endpoint = exchange.lease.endpoint;
  const renewed: ProxySession = { url: endpoint.url, id, version: lost.version ?? version, init: lost.init };
  const initialized = upstreamCall(ctx.server, endpoint, headers, ctx.secrets, { upstreamSessionId: id });
  if (version !== null) initialized.headers.set("mcp-protocol-version", version);
  const sent = await fetchUpstream(
    initialized,
    { method: "POST", body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) },
    ctx.server.timeoutMs,
    ctx.upstreamFetch,
  );
  if ("response" in sent) await sent.response.body?.cancel();
  rememberReplacement(lost, renewed);
  return renewed;
}

/** The JSON-RPC response with `id` in a JSON or SSE answer, read to its end; null when absent. */
export async function answerTo(response: Response, id: string | number): Promise<JsonRpcResponse | null> {
  const text = await response.text().catch(() => "");
  const candidates: unknown[] = [];
  if (mediaTypeOf(response.headers.get("content-type")) === "text/event-stream") {
    const parser = new SseParser();
    for (const event of [...parser.push(text), ...parser.end()]) candidates.push(parseOrNull(event.data));
  } else {
    const parsed = parseOrNull(text);
    candidates.push(...(Array.isArray(parsed) ? parsed : [parsed]));
  }
  for (const candidate of candidates) {
    if (typeof candidate === "object" && candidate !== null && (candidate as { id?: unknown }).id === id) {
      const message = candidate as JsonRpcResponse;
      if ("result" in message || "error" in message) return message;
    }
  }
  return null;
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
