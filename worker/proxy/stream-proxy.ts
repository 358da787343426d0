// The standalone GET stream and the session end (DELETE) of `/{path}/mcp`,
// through the same session seal as POST: a client hanging up ends the
// upstream stream at once (an idle stream carries a heartbeat so the hang-up
// is noticed), a reconnect right after a release is not refused with 409,
// and an ended session stays ended.

import { ErrorCode } from "../protocol/jsonrpc.ts";
import { jsonRpcError, sessionNotFound } from "../protocol/replies.ts";
import { leasedExchange } from "../upstream/leased-exchange.ts";
import { clientResponseHeaders, forwardUpstream } from "../upstream/upstream-request.ts";
import { type ProxyContext, refusalReply, upstreamFailureReply, withHeaders } from "./proxy-context.ts";
import {
  openProxySession,
  type ProxySession,
  rememberEnded,
  requestSession,
  sealProxySession,
} from "./proxy-session.ts";
import { reopenSession, sessionLost } from "./session-recovery.ts";
import { discard, sseHeaders, sseResponse, upstreamError } from "./upstream-answers.ts";

export async function proxyStream(ctx: ProxyContext): Promise<Response> {
  // The standalone stream is SSE only: a client that cannot take it gets 406 at once,
  // and no upstream stream is opened on its behalf.
  if (!ctx.request.headers.get("accept")?.includes("text/event-stream")) {
    return jsonRpcError(
      406,
      ErrorCode.InvalidRequest,
      "Not Acceptable: the GET stream needs Accept: text/event-stream",
    );
  }
  const session = await requestSession(ctx);
  if (session instanceof Response) return session;
  if (ctx.transport === "sse") {
    // A bridged legacy upstream has no stream outside an exchange (the spec's 405).
    return new Response(null, { status: 405, headers: { allow: "POST, DELETE" } });
  }
  let release = () => {};
  const open = (to: ProxySession | null) =>
    leasedExchange(ctx, { pinnedUrl: to?.url }, async (endpoint) => {
      const sent = await forwardUpstream(ctx, endpoint, {
        method: "GET",
        upstreamSessionId: to?.id ?? null,
        set: { accept: "text/event-stream" },
      });
      if ("response" in sent) release = () => sent.abortController.abort();
      return sent;
    });
  let used: ProxySession | null = session;
  let exchange = await open(session);
  if (session !== null && sessionLost(exchange, session, [])) {
    const renewed = await reopenSession(ctx, session);
    if (renewed !== null) {
      await discard(exchange);
      used = renewed;
      exchange = await open(renewed);
    }
  }
  // The stream this isolate released a moment ago may still look open upstream
  // (it notices the abort a few event-loop turns later): a 409 then is ours, so
  // ask again briefly instead of refusing the client's reconnect.
  for (let retry = 1; retry <= STILL_RELEASING_RETRIES && stillReleasing(exchange, used); retry++) {
    await discard(exchange);
    await new Promise((resolve) => setTimeout(resolve, 20 * retry));
    exchange = await open(used);
  }
  if ("refusal" in exchange) return refusalReply(exchange.refusal, used !== null);
  const { result, lease } = exchange;
  if ("kind" in result) return upstreamFailureReply(result, ctx.server.timeoutMs);
  const { response } = result;
  if (!response.ok || response.body === null) {
    return upstreamError(ctx, response, [], [], false, used !== null);
  }
  const headers = clientResponseHeaders(response.headers);
  if (used !== session && used !== null) headers.set("mcp-session-id", await sealProxySession(ctx, used));
  // A client hanging up ends the upstream stream at once, so it can open a new one right away:
  // workerd reports it on the incoming request's signal (an idle stream is never cancelled).
  const releaseNoted = () => {
    if (used !== null) noteReleased(used);
    release();
  };
  ctx.clientGone.addEventListener("abort", releaseNoted, { once: true });
  const body = releasedOnCancel(response.body, releaseNoted);
  // Only a resumed stream can replay answers to requests whose ids the gateway marked.
  const out = ctx.request.headers.has("last-event-id")
    ? sseResponse(ctx, new Response(body, { status: response.status }), headers, [])
    : sseHeaders(new Response(body, { status: response.status, headers }));
  return withHeaders(out, lease.headers);
}

export async function proxyDelete(ctx: ProxyContext): Promise<Response> {
  const session = await openProxySession(ctx);
  if (session === "invalid") return sessionNotFound();
  // A bridged legacy upstream holds no session between exchanges: nothing to end.
  if (ctx.transport === "sse" || session?.id === null) return new Response(null, { status: 200 });
  const exchange = await leasedExchange(ctx, { pinnedUrl: session?.url }, (endpoint) =>
    forwardUpstream(ctx, endpoint, { method: "DELETE", upstreamSessionId: session?.id ?? null }),
  );
  if ("refusal" in exchange) return refusalReply(exchange.refusal, session !== null);
  const { result } = exchange;
  if ("kind" in result) return upstreamFailureReply(result, ctx.server.timeoutMs);
  await result.response.body?.cancel();
  if (session !== null && result.response.ok) rememberEnded(session);
  const status =
    result.response.status === 401 || result.response.status === 403 ? 502 : result.response.status;
  return new Response(null, { status, headers: clientResponseHeaders(result.response.headers) });
}

// GET streams this isolate released in the last second, by upstream session (bounded).
const released = new Map<string, number>();
const RELEASE_GRACE_MS = 1_000;
const STILL_RELEASING_RETRIES = 4;

function noteReleased(session: ProxySession): void {
  if (released.size >= 1_000) released.clear();
  released.set(`${session.url} ${session.id}`, Date.now());
}

/** A 409 on a GET for a session whose stream this isolate has just released. */
function stillReleasing(exchange: Awaited<ReturnType<typeof leasedExchange>>, session: ProxySession | null) {
  if (session === null || "refusal" in exchange || !("response" in exchange.result)) return false;
  if (exchange.result.response.status !== 409) return false;
  const at = released.get(`${session.url} ${session.id}`);
  return at !== undefined && Date.now() - at < RELEASE_GRACE_MS;
}

/** How often an idle GET stream carries an SSE comment (see `releasedOnCancel`). */
const HEARTBEAT_MS = 1_000;
const HEARTBEAT = new TextEncoder().encode(": keep-alive\n\n");

/**
 * Passes an SSE `body` through; when the client goes away the upstream
 * request is aborted. An idle stream shows nothing to notice a hang-up with
 * (and proxies in front of the Worker keep their side open), so between
 * events it carries a comment line every second: once the client is gone,
 * writing fails, the stream is cancelled, and the upstream released.
 */
function releasedOnCancel(body: ReadableStream<Uint8Array>, abort: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => clearInterval(timer);
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let atBoundary = true;
      timer = setInterval(() => {
        if (!atBoundary) return;
        try {
          controller.enqueue(HEARTBEAT);
        } catch {
          stop();
        }
      }, HEARTBEAT_MS);
      void (async () => {
        try {
          while (true) {
            const { done, value } = await reader.read();
            if (done) break;
            controller.enqueue(value);
            atBoundary = endsEvent(value);
          }
          stop();
          controller.close();
        } catch (error) {
          stop();
          try {
            controller.error(error);
          } catch {
            // Already cancelled by the client.
          }
        }
      })();
    },
    async cancel(reason) {
      stop();
      abort();
      await reader.cancel(reason).catch(() => {});
    },
  });
}

/** True when a chunk of SSE ends an event (a blank line), so a comment may follow. */
function endsEvent(chunk: Uint8Array): boolean {
  const n = chunk.length;
  return (
    n >= 2 && chunk[n - 1] === 10 && (chunk[n - 2] === 10 || (chunk[n - 2] === 13 && chunk[n - 3] === 10))
  );
}
