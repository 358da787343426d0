// The per-server Streamable HTTP proxy (`/{path}/mcp`): POST messages are
// decided one by one, refused requests are answered here, the rest go to the
// upstream, and the answer streams back (JSON or SSE, event by event) with
// tools/list cut to what the caller may call and the upstream's session id
// sealed to the caller. GET streams and DELETE pass through the same seal.
// Bodies stream through untouched unless a message in them must be rewritten
// (a marked tools/list answer, a refusal to merge) or a `subscriptions/listen`
// answer comes as JSON lines (re-framed as SSE); a lost upstream session is
// opened again (session-recovery.ts); a client hanging up ends the upstream
// stream at once.

import { cancelsOnHangUp } from "../edge/hang-up.ts";
import { jsonLinesAsSse } from "../protocol/json-lines.ts";
import {
  ErrorCode,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcResponse,
  type ParsedBody,
} from "../protocol/jsonrpc.ts";
import { jsonRpcError, jsonRpcReply, sessionNotFound } from "../protocol/replies.ts";
import { type SseEvent, transformSseStream } from "../protocol/sse.ts";
import { checkStandardHeaders } from "../protocol/standard-headers.ts";
import { refusalToJsonRpc } from "../resilience/lease.ts";
import { leasedExchange, type SendResult } from "../upstream/leased-exchange.ts";
import { clientResponseHeaders, forwardUpstream } from "../upstream/upstream-request.ts";
import {
  type MessageVerdict,
  type PreparedMessages,
  prepareRequest,
  rewriteIncoming,
  rewriteIncomingJson,
} from "./message-rewrite.ts";
import {
  auditVerdicts,
  outcomeUnlessDenied,
  type ProxyContext,
  refusalReply,
  upstreamFailureReply,
  withHeaders,
} from "./proxy-context.ts";
import {
  initializeParams,
  keptInit,
  type OpenedSession,
  openProxySession,
  type ProxySession,
  rememberEnded,
  requestSession,
  sealProxySession,
} from "./proxy-session.ts";
import { ACCEPT_BOTH, answerTo, reopenSession, sessionLost } from "./session-recovery.ts";
import { bridgeSsePost } from "./sse-bridge.ts";

export async function proxyStreamable(ctx: ProxyContext): Promise<Response> {
  switch (ctx.request.method) {
    case "POST":
      return proxyPost(ctx);
    case "GET":
      return proxyStream(ctx);
    case "DELETE":
      return proxyDelete(ctx);
    default:
      return new Response(null, { status: 405, headers: { allow: "GET, POST, DELETE" } });
  }
}

// The steady POST (a decided message, one replica, the session's own token
// handed back) runs in this module and calls each of message-rewrite.ts,
// proxy-session.ts, leased-exchange.ts (which calls upstream-request.ts) and
// proxy-context.ts (the audit) once; the rest is off that walk.
async function proxyPost(ctx: ProxyContext): Promise<Response> {
  // Parse errors and reserved ids refused, every message decided (policy, tool pinning).
  const checked = prepareRequest(ctx.mcp, ctx.guard);
  if (checked instanceof Response) return checked;
  const { body, prepared } = checked;
  const headerProblem = checkStandardHeaders(ctx.request.headers, body);
  if (headerProblem) return jsonRpcReply(headerProblem, 400);

  const session = await requestSession(ctx);
  if (session instanceof Response) return session;
  if (ctx.transport === "sse") return bridgeSsePost(ctx, body, session);

  const reply = (responses: JsonRpcResponse[], status: number, headers?: Headers) =>
    jsonRpcReply(body.batch ? responses : (responses[0] as JsonRpcResponse), status, headers);

  if (prepared.forward.length === 0) {
    auditVerdicts(ctx, prepared.verdicts, () => "denied", null);
    return reply(prepared.refusals, 200);
  }

  // Serialized from the parsed messages, never the client's bytes (duplicate keys; docs/architecture.md).
  const payload = JSON.stringify(body.batch ? prepared.forward : prepared.forward[0]);
  const forwardedIds = prepared.verdicts.filter(isForwardedRequest).map((verdict) => verdict.id as JsonRpcId);
  const methods = prepared.forward.flatMap((message) => ("method" in message ? [message.method] : []));
  // A stateless client's hang-up cancels its request: the upstream's is aborted with it.
  const cancel = cancelsOnHangUp(ctx.request) ? ctx.clientGone : undefined;
  const accept = ctx.request.headers.get("accept");
  const set = acceptsBoth(accept) ? POST_JSON : POST_JSON_ACCEPT_BOTH;
  const send = (to: ProxySession | null) =>
    leasedExchange(ctx, { methods, pinnedUrl: to?.url }, (endpoint) =>
      forwardUpstream(ctx, endpoint, {
        method: "POST",
        body: payload,
        upstreamSessionId: to?.id ?? null,
        set,
        signal: cancel,
      }),
    );
  let used: ProxySession | null = session;
  let exchange = await send(session);
  if (session !== null && !answered(exchange) && sessionLost(exchange, session, methods)) {
    // The upstream lost the session (restart, expiry): open a new one and send again.
    const renewed = await reopenSession(ctx, session);
    if (renewed !== null) {
      await discard(exchange);
      used = renewed;
      exchange = await send(renewed);
    }
  }

  if ("refusal" in exchange) {
    // A pinned session whose replica is gone is over: the client starts again.
    if (used && exchange.refusal.refused === "no_replica") return sessionNotFound();
    auditVerdicts(ctx, prepared.verdicts, outcomeUnlessDenied(exchange.refusal.refused), null);
    const refused = (forwardedIds.length > 0 ? forwardedIds : [null]).map((id) =>
      refusalToJsonRpc(exchange.refusal, id),
    );
    const first = refused[0] as ReturnType<typeof refusalToJsonRpc>;
    return reply([...refused.map((item) => item.body), ...prepared.refusals], first.status, first.headers);
  }
  const { result, lease } = exchange;
  const post: PostExchange = { body, prepared, forwardedIds, session: used, renewed: used !== session };
  const answer = await answerPost(ctx, post, result, lease.endpoint.url);
  // Headers of the lease (e.g. RateLimit); none in the steady state.
  for (const name in lease.headers) answer.headers.set(name, lease.headers[name] as string);
  return answer;
}

const POST_JSON = { "content-type": "application/json" };
const POST_JSON_ACCEPT_BOTH = { "content-type": "application/json", accept: ACCEPT_BOTH };

/** The upstream answered, and not with 404: its session is not lost (session-recovery.ts is not asked). */
function answered(exchange: Awaited<ReturnType<typeof leasedExchange>>): boolean {
  return !("refusal" in exchange) && "response" in exchange.result && exchange.result.response.status !== 404;
}

/** Drops an answer that will not be used (its body would otherwise hold the connection). */
async function discard(exchange: Awaited<ReturnType<typeof leasedExchange>>): Promise<void> {
  if (!("refusal" in exchange) && "response" in exchange.result)
    await exchange.result.response.body?.cancel();
}

/** What one POST sent, needed to answer it. */
interface PostExchange {
  body: ParsedBody;
  prepared: PreparedMessages;
  /** Ids of the requests that went upstream. */
  forwardedIds: JsonRpcId[];
  session: OpenedSession | null;
  /** The upstream session was opened again for this request. */
  renewed: boolean;
}

async function answerPost(
  ctx: ProxyContext,
  { body, prepared, forwardedIds, session, renewed }: PostExchange,
  result: SendResult,
  replicaUrl: string,
): Promise<Response> {
  const reply = (responses: JsonRpcResponse[], status: number, headers?: Headers) =>
    jsonRpcReply(body.batch ? responses : (responses[0] as JsonRpcResponse), status, headers);
  if ("kind" in result) {
    const outcome = result.kind === "timeout" ? "timeout" : "upstream_error";
    auditVerdicts(ctx, prepared.verdicts, outcomeUnlessDenied(outcome), null);
    return upstreamFailureReply(result, ctx.server.timeoutMs, {
      ids: forwardedIds,
      also: prepared.refusals,
      batch: body.batch,
    });
  }

  let { response } = result;
  const headers = result.clientHeaders ?? clientResponseHeaders(response.headers);
  const upstreamSessionId = response.headers.get("mcp-session-id");
  const [first] = prepared.forward;
  const lone = prepared.forward.length === 1 && first !== undefined && "method" in first;
  const init = lone && first.method === "initialize" ? initializeParams(prepared.forward) : null;
  if (
    init === null &&
    !renewed &&
    upstreamSessionId !== null &&
    session?.presented !== undefined &&
    session.url === replicaUrl &&
    session.id === upstreamSessionId
  ) {
    // The upstream kept the session: the client's token still says everything (no HMAC, no JSON).
    headers.set("mcp-session-id", session.presented);
  } else if (upstreamSessionId !== null || (renewed && session !== null)) {
    const initId = init !== null ? (first as { id: JsonRpcId }).id : null;
    response = await sealedAnswer(ctx, response, headers, { init, initId, session, renewed, replicaUrl });
  }
  auditVerdicts(
    ctx,
    prepared.verdicts,
    outcomeUnlessDenied(response.ok ? "ok" : "upstream_error"),
    response.status,
  );

  if (!response.ok)
    return upstreamError(ctx, response, forwardedIds, prepared.refusals, body.batch, session !== null);

  if (response.status === 202 || response.body === null) {
    await response.body?.cancel();
    if (prepared.refusals.length > 0) return reply(prepared.refusals, 200, headers);
    return new Response(null, { status: response.status, headers });
  }

  const contentType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  // Nothing to rewrite: the upstream's body streams through untouched.
  const untouched = prepared.refusals.length === 0 && !prepared.marked;
  if (contentType === "text/event-stream") {
    if (untouched) return sseHeaders(new Response(response.body, { status: response.status, headers }));
    return sseResponse(ctx, response, headers, prepared.refusals);
  }
  if (contentType === "application/json" && answersListen(prepared.forward)) {
    // A never-ending listen answer in JSON lines: as the SSE stream the spec says it is, frame by frame.
    const framed = new Response(jsonLinesAsSse(response.body), { status: response.status });
    return sseResponse(ctx, framed, headers, prepared.refusals);
  }
  if (contentType === "application/json" && untouched) {
    headers.set("content-type", "application/json");
    return new Response(response.body, { status: response.status, headers });
  }
  if (contentType === "application/json") {
    let upstreamBody: unknown;
    try {
      upstreamBody = await response.json();
    } catch {
      return reply(forwardedIds.map((id) => invalidUpstream(id)).concat(prepared.refusals), 502);
    }
    const rewritten = rewriteIncomingJson(upstreamBody, ctx.guard);
    const merged = Array.isArray(rewritten) ? [...rewritten, ...prepared.refusals] : rewritten;
    const out = new Response(JSON.stringify(merged), { status: response.status, headers });
    out.headers.set("content-type", "application/json");
    return out;
  }
  await response.body.cancel();
  return reply(forwardedIds.map((id) => invalidUpstream(id)).concat(prepared.refusals), 502);
}

/**
 * Off the steady walk: the session changed (initialize, a new upstream
 * session, a recovered one), so the client gets a newly sealed token. An
 * initialize answer is read (once, small) for the version the upstream
 * chose, which the session keeps; the response returned replaces the read one.
 */
async function sealedAnswer(
  ctx: ProxyContext,
  response: Response,
  headers: Headers,
  change: {
    init: Record<string, unknown> | null;
    initId: JsonRpcId | null;
    session: ProxySession | null;
    renewed: boolean;
    replicaUrl: string;
  },
): Promise<Response> {
  const { init, session, replicaUrl } = change;
  const upstreamSessionId = response.headers.get("mcp-session-id");
  let negotiated: string | null = null;
  let answer = response;
  if (init !== null && response.ok && response.body !== null) {
    const text = await response.text();
    const parsed = await answerTo(new Response(text, response), change.initId as JsonRpcId);
    const version = (parsed?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    negotiated = typeof version === "string" ? version : null;
    answer = new Response(text, response);
  }
  if (upstreamSessionId !== null) {
    const sealed: ProxySession =
      init !== null
        ? { url: replicaUrl, id: upstreamSessionId, version: negotiated, init: keptInit(init) }
        : {
            url: replicaUrl,
            id: upstreamSessionId,
            version: session?.version ?? null,
            init: session?.init ?? null,
          };
    headers.set("mcp-session-id", await sealProxySession(ctx, sealed));
  } else if (change.renewed && session !== null) {
    // A recovered session: the client is given its new token (SDK 1.x clients adopt it).
    headers.set("mcp-session-id", await sealProxySession(ctx, session));
  }
  return answer;
}

async function proxyStream(ctx: ProxyContext): Promise<Response> {
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
      if ("response" in sent) release = sent.abort;
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

async function proxyDelete(ctx: ProxyContext): Promise<Response> {
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

function sseHeaders(response: Response): Response {
  response.headers.set("content-type", "text/event-stream");
  response.headers.set("cache-control", "no-cache");
  response.headers.set("x-accel-buffering", "no");
  return response;
}

/** Streams the upstream's SSE body to the client, message by message. */
function sseResponse(
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
async function upstreamError(
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

function invalidUpstream(id: JsonRpcId): JsonRpcResponse {
  return errorResponse(id, ErrorCode.UpstreamUnavailable, "The upstream returned an invalid response");
}

/** A `subscriptions/listen` went up: its answer is a stream that stays open. */
function answersListen(forward: JsonRpcMessage[]): boolean {
  return forward.some((message) => "method" in message && message.method === "subscriptions/listen");
}

function acceptsBoth(accept: string | null): boolean {
  return Boolean(accept?.includes("application/json") && accept.includes("text/event-stream"));
}

function isForwardedRequest(verdict: MessageVerdict): boolean {
  return verdict.id !== null && verdict.decision?.allow === true;
}
