// The per-server Streamable HTTP proxy (`/{path}/mcp`): POST messages are
// decided one by one, refused requests are answered here, the rest go to the
// upstream, and the answer streams back (JSON or SSE, event by event) with
// tools/list cut to what the caller may call and the upstream's session id
// sealed to the caller. GET streams and DELETE pass through the same seal.
// Bodies stream through untouched unless a message in them must be rewritten
// (a marked tools/list answer, a refusal to merge) or a `subscriptions/listen`
// answer comes as JSON lines (re-framed as SSE); a lost upstream session is
// opened again (session-recovery.ts); a client hanging up ends the upstream
// stream at once. This module holds the steady POST; GET and DELETE are in
// stream-proxy.ts, rewritten and error answers in upstream-answers.ts.

import { cancelsOnHangUp } from "../edge/hang-up.ts";
import { jsonLinesAsSse } from "../protocol/json-lines.ts";
import type { JsonRpcId, JsonRpcMessage, JsonRpcResponse, ParsedBody } from "../protocol/jsonrpc.ts";
import { mediaTypeOf } from "../protocol/media-type.ts";
import { jsonRpcReply, sessionNotFound } from "../protocol/replies.ts";
import { checkStandardHeaders } from "../protocol/standard-headers.ts";
import { refusalToJsonRpc } from "../resilience/lease.ts";
import { leasedExchange, type SendResult, WatchedAnswer } from "../upstream/leased-exchange.ts";
import { clientResponseHeaders, FORWARDED_RESPONSE_HEADERS } from "../upstream/upstream-request.ts";
import {
  type MessageVerdict,
  type PreparedMessages,
  prepareRequest,
  rewriteIncomingJson,
} from "./message-rewrite.ts";
import { auditVerdicts, type ProxyContext, upstreamFailureReply } from "./proxy-context.ts";
import {
  initializeParams,
  keptInit,
  type OpenedSession,
  type ProxySession,
  requestSession,
  sealProxySession,
} from "./proxy-session.ts";
import { ACCEPT_BOTH, answerTo, reopenSession, sessionLost } from "./session-recovery.ts";
import { bridgeSsePost } from "./sse-bridge.ts";
import { proxyDelete, proxyStream } from "./stream-proxy.ts";
import {
  discard,
  invalidUpstream,
  SSE_STREAM_HEADERS,
  sseResponse,
  upstreamError,
} from "./upstream-answers.ts";

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

  if (prepared.forward.length === 0) {
    auditVerdicts(ctx, prepared.verdicts, "denied", null);
    return reply(body, prepared.refusals, 200);
  }

  // Serialized from the parsed messages, never the client's bytes (duplicate keys; docs/architecture.md).
  const payload = JSON.stringify(body.batch ? prepared.forward : prepared.forward[0]);
  // Plain loops: no callback or intermediate array per message.
  const forwardedIds: JsonRpcId[] = [];
  for (const verdict of prepared.verdicts)
    if (isForwardedRequest(verdict)) forwardedIds.push(verdict.id as JsonRpcId);
  const methods: string[] = [];
  for (const message of prepared.forward) if ("method" in message) methods.push(message.method);
  // A stateless client's hang-up cancels its request: the upstream's is aborted with it. A request in a
  // session never cancels that way (edge/hang-up.ts), so it is not asked.
  const cancel = session === null && cancelsOnHangUp(ctx.request) ? ctx.clientGone : undefined;
  const set = acceptsBoth(ctx.request.headers.get("accept")) ? POST_JSON : POST_JSON_ACCEPT_BOTH;
  const post: PostRequest = { payload, methods, set, cancel };
  let used: ProxySession | null = session;
  let exchange = await sendPost(ctx, post, session);
  if (session !== null && !answered(exchange) && sessionLost(exchange, session, methods)) {
    // The upstream lost the session (restart, expiry): open a new one and send again.
    const renewed = await reopenSession(ctx, session);
    if (renewed !== null) {
      await discard(exchange);
      used = renewed;
      exchange = await sendPost(ctx, post, renewed);
    }
  }

  if ("refusal" in exchange) {
    // A pinned session whose replica is gone is over: the client starts again.
    if (used && exchange.refusal.refused === "no_replica") return sessionNotFound();
    auditVerdicts(ctx, prepared.verdicts, exchange.refusal.refused, null);
    const refused = (forwardedIds.length > 0 ? forwardedIds : [null]).map((id) =>
      refusalToJsonRpc(exchange.refusal, id),
    );
    const first = refused[0] as ReturnType<typeof refusalToJsonRpc>;
    const answers = [...refused.map((item) => item.body), ...prepared.refusals];
    return reply(body, answers, first.status, first.headers);
  }
  const { result, lease } = exchange;
  const sent: PostExchange = { body, prepared, forwardedIds, session: used, renewed: used !== session };
  const answer = await answerPost(ctx, sent, result, lease.endpoint.url);
  // Headers of the lease (e.g. RateLimit); none in the steady state.
  for (const name in lease.headers) answer.headers.set(name, lease.headers[name] as string);
  return answer;
}

const POST_JSON = { "content-type": "application/json" };
const POST_JSON_ACCEPT_BOTH = { "content-type": "application/json", accept: ACCEPT_BOTH };

/** The POST as it goes upstream, whichever upstream session carries it. */
interface PostRequest {
  payload: string;
  methods: string[];
  set: Record<string, string>;
  cancel: AbortSignal | undefined;
}

/** Sends the POST on a leased replica (pinned to the session's), in upstream session `to` if any. */
function sendPost(ctx: ProxyContext, post: PostRequest, to: ProxySession | null) {
  return leasedExchange(
    ctx,
    to === null ? { methods: post.methods } : { methods: post.methods, pinnedUrl: to.url },
    {
      method: "POST",
      body: post.payload,
      upstreamSessionId: to?.id ?? null,
      set: post.set,
      signal: post.cancel,
    },
  );
}

/** The JSON-RPC reply to `body`: one answer, or all of them for a batch. */
function reply(body: ParsedBody, responses: JsonRpcResponse[], status: number, headers?: Headers): Response {
  return jsonRpcReply(body.batch ? responses : (responses[0] as JsonRpcResponse), status, headers);
}

/** The upstream answered, and not with 404: its session is not lost (session-recovery.ts is not asked). */
function answered(exchange: Awaited<ReturnType<typeof leasedExchange>>): boolean {
  if ("refusal" in exchange) return false;
  const { result } = exchange;
  // A watched answer's status is its upstream's: reading `.response` would build the Response it defers.
  if (result instanceof WatchedAnswer) return result.upstream.status !== 404;
  return "response" in result && result.response.status !== 404;
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
  if ("kind" in result) {
    const outcome = result.kind === "timeout" ? "timeout" : "upstream_error";
    auditVerdicts(ctx, prepared.verdicts, outcome, null);
    return upstreamFailureReply(result, ctx.server.timeoutMs, {
      ids: forwardedIds,
      also: prepared.refusals,
      batch: body.batch,
    });
  }

  // A watched SSE answer (leased-exchange.ts `WatchedAnswer`) is read through its upstream's status and
  // headers; the Response wrapping its watched stream is built only off the steady path.
  const watched = result instanceof WatchedAnswer ? result : null;
  let response = watched !== null ? watched.upstream : result.response;
  // The client's headers are worked out once, where the answer's form is known: the steady SSE
  // pass-through builds them in one go (`passThroughHeaders`), every other answer copies then sets.
  let headers: Headers | null = null;
  /** The client's own session token, handed back as it came (the upstream kept the session). */
  let keptToken: string | null = null;
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
    keptToken = session.presented;
  } else if (upstreamSessionId !== null || (renewed && session !== null)) {
    const initId = init !== null ? (first as { id: JsonRpcId }).id : null;
    const whole = watched?.response ?? response;
    headers = clientResponseHeaders(response.headers);
    response = await sealedAnswer(ctx, whole, headers, { init, initId, session, renewed, replicaUrl });
  }
  auditVerdicts(ctx, prepared.verdicts, response.ok ? "ok" : "upstream_error", response.status);

  const contentType = mediaTypeOf(response.headers.get("content-type"));
  // Nothing to rewrite: the upstream's body streams through untouched.
  const untouched = prepared.refusals.length === 0 && !prepared.marked;
  if (response.ok && response.status !== 202 && contentType === "text/event-stream" && untouched) {
    const stream = watched !== null && response === watched.upstream ? watched.body : response.body;
    if (stream !== null) {
      if (headers === null) {
        const own = passThroughHeaders(response.headers, keptToken);
        return new Response(stream, { status: response.status, headers: own });
      }
      for (const [name, value] of SSE_STREAM_HEADERS) headers.set(name, value);
      return new Response(stream, { status: response.status, headers });
    }
  }
  if (watched !== null && response === watched.upstream) response = watched.response;
  if (headers === null) {
    headers = clientResponseHeaders(response.headers);
    if (keptToken !== null) headers.set("mcp-session-id", keptToken);
  }

  if (!response.ok)
    return upstreamError(ctx, response, forwardedIds, prepared.refusals, body.batch, session !== null);

  if (response.status === 202 || response.body === null) {
    await response.body?.cancel();
    if (prepared.refusals.length > 0) return reply(body, prepared.refusals, 200, headers);
    return new Response(null, { status: response.status, headers });
  }

  if (contentType === "text/event-stream") return sseResponse(ctx, response, headers, prepared.refusals);
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
      return reply(body, forwardedIds.map((id) => invalidUpstream(id)).concat(prepared.refusals), 502);
    }
    const rewritten = rewriteIncomingJson(upstreamBody, ctx.guard);
    const merged = Array.isArray(rewritten) ? [...rewritten, ...prepared.refusals] : rewritten;
    const out = new Response(JSON.stringify(merged), { status: response.status, headers });
    out.headers.set("content-type", "application/json");
    return out;
  }
  await response.body.cancel();
  return reply(body, forwardedIds.map((id) => invalidUpstream(id)).concat(prepared.refusals), 502);
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

/**
 * The steady SSE answer's headers as one record, made into the Response's headers once (a Headers
 * copy, then a `set` per stream header and the token, crossed into the runtime once per name): the
 * stream's own, the upstream's that a client may see (upstream-request.ts's list) beyond those, and
 * the client's kept token. Built here, not in upstream-request.ts, so the steady walk does not go
 * back to a file it left.
 */
function passThroughHeaders(upstream: Headers, keptToken: string | null): Record<string, string> {
  const own: Record<string, string> = {};
  for (const [name, value] of SSE_STREAM_HEADERS) own[name] = value;
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    if (name in own) continue;
    const value = upstream.get(name);
    if (value !== null) own[name] = value;
  }
  if (keptToken !== null) own["mcp-session-id"] = keptToken;
  return own;
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
