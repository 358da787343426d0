// The per-server Streamable HTTP proxy (`/{path}/mcp`): POST messages are
// decided one by one, refused requests are answered here, the rest go to the
// upstream, and the answer streams back (JSON or SSE, event by event) with
// tools/list cut to what the caller may call and the upstream's session id
// sealed to the caller. GET streams and DELETE pass through the same seal.

import {
  ErrorCode,
  errorResponse,
  type JsonRpcId,
  type JsonRpcResponse,
  type ParsedBody,
} from "../protocol/jsonrpc.ts";
import { jsonRpcError, jsonRpcReply, sessionNotFound } from "../protocol/replies.ts";
import { type SseEvent, transformSseStream } from "../protocol/sse.ts";
import { checkStandardHeaders } from "../protocol/standard-headers.ts";
import { refusalToJsonRpc } from "../resilience/lease.ts";
import { leasedExchange, type SendResult } from "../upstream/leased-exchange.ts";
import { clientResponseHeaders, fetchUpstream, upstreamCall } from "../upstream/upstream-request.ts";
import {
  type MessageVerdict,
  type PreparedMessages,
  prepareOutgoing,
  rewriteIncoming,
  rewriteIncomingJson,
} from "./message-rewrite.ts";
import {
  auditVerdicts,
  clientBody,
  outcomeUnlessDenied,
  type ProxyContext,
  refusalReply,
  upstreamFailureReply,
  withHeaders,
} from "./proxy-context.ts";
import { openSessionValue, type SessionBinding, sealSessionValue } from "./session-token.ts";

const ACCEPT_BOTH = "application/json, text/event-stream";

function binding(ctx: ProxyContext): SessionBinding {
  return { purpose: "streamable-session", serverId: ctx.server.id, principal: ctx.principal };
}

interface UpstreamSession {
  /** The upstream's own session id. */
  id: string;
  /** The replica that holds it: later requests of the session must go there. */
  url: string;
}

/** Resolves the client's sealed session id; `invalid` when it is not theirs (or not valid at all). */
async function upstreamSession(ctx: ProxyContext): Promise<UpstreamSession | null | "invalid"> {
  const sealed = ctx.request.headers.get("mcp-session-id");
  if (sealed === null) return null;
  const value = await openSessionValue(ctx.sessionSecret, binding(ctx), sealed);
  if (value === null) return "invalid";
  const [url, id] = JSON.parse(value) as [string, string];
  return { id, url };
}

function sealSession(ctx: ProxyContext, session: UpstreamSession): Promise<string> {
  return sealSessionValue(ctx.sessionSecret, binding(ctx), JSON.stringify([session.url, session.id]));
}

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

async function proxyPost(ctx: ProxyContext): Promise<Response> {
  const body = clientBody(ctx);
  if (body instanceof Response) return body;
  const headerProblem = checkStandardHeaders(ctx.request.headers, body);
  if (headerProblem) return jsonRpcReply(headerProblem, 400);

  const session = await upstreamSession(ctx);
  if (session === "invalid") return sessionNotFound();

  const prepared = prepareOutgoing(body.messages, ctx.guard);
  const reply = (responses: JsonRpcResponse[], status: number, headers?: Headers) =>
    jsonRpcReply(body.batch ? responses : (responses[0] as JsonRpcResponse), status, headers);

  if (prepared.forward.length === 0) {
    auditVerdicts(ctx, prepared.verdicts, () => "denied", null);
    return reply(prepared.refusals, 200);
  }

  const payload = JSON.stringify(body.batch ? prepared.forward : prepared.forward[0]);
  const forwardedIds = prepared.verdicts.filter(isForwardedRequest).map((verdict) => verdict.id as JsonRpcId);
  const methods = prepared.forward.flatMap((message) => ("method" in message ? [message.method] : []));
  const exchange = await leasedExchange(ctx, { methods, pinnedUrl: session?.url }, async (endpoint) => {
    const call = upstreamCall(ctx.server, endpoint, ctx.request.headers, ctx.secrets, {
      upstreamSessionId: session?.id ?? null,
    });
    call.headers.set("content-type", "application/json");
    if (!acceptsBoth(call.headers.get("accept"))) call.headers.set("accept", ACCEPT_BOTH);
    return fetchUpstream(call, { method: "POST", body: payload }, ctx.server.timeoutMs, ctx.upstreamFetch);
  });

  if ("refusal" in exchange) {
    // A pinned session whose replica is gone is over: the client starts again.
    if (session && exchange.refusal.refused === "no_replica") return sessionNotFound();
    auditVerdicts(ctx, prepared.verdicts, outcomeUnlessDenied(exchange.refusal.refused), null);
    const refused = (forwardedIds.length > 0 ? forwardedIds : [null]).map((id) =>
      refusalToJsonRpc(exchange.refusal, id),
    );
    const first = refused[0] as ReturnType<typeof refusalToJsonRpc>;
    return reply([...refused.map((item) => item.body), ...prepared.refusals], first.status, first.headers);
  }
  const { result, lease } = exchange;
  const post: PostExchange = { body, prepared, forwardedIds, session };
  return withHeaders(await answerPost(ctx, post, result, lease.endpoint.url), lease.headers);
}

/** What one POST sent, needed to answer it. */
interface PostExchange {
  body: ParsedBody;
  prepared: PreparedMessages;
  /** Ids of the requests that went upstream. */
  forwardedIds: JsonRpcId[];
  session: UpstreamSession | null;
}

async function answerPost(
  ctx: ProxyContext,
  { body, prepared, forwardedIds, session }: PostExchange,
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

  const { response } = result;
  const headers = clientResponseHeaders(response.headers);
  const upstreamSessionId = response.headers.get("mcp-session-id");
  if (upstreamSessionId !== null) {
    headers.set("mcp-session-id", await sealSession(ctx, { id: upstreamSessionId, url: replicaUrl }));
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
  if (contentType === "text/event-stream") {
    return sseResponse(ctx, response, headers, prepared.refusals);
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
  const session = await upstreamSession(ctx);
  if (session === "invalid") return sessionNotFound();
  const exchange = await leasedExchange(ctx, { pinnedUrl: session?.url }, async (endpoint) => {
    const call = upstreamCall(ctx.server, endpoint, ctx.request.headers, ctx.secrets, {
      upstreamSessionId: session?.id ?? null,
    });
    call.headers.set("accept", "text/event-stream");
    return fetchUpstream(call, { method: "GET" }, ctx.server.timeoutMs, ctx.upstreamFetch);
  });
  if ("refusal" in exchange) return refusalReply(exchange.refusal, session !== null);
  const { result, lease } = exchange;
  if ("kind" in result) return upstreamFailureReply(result, ctx.server.timeoutMs);
  const { response } = result;
  if (!response.ok || response.body === null) {
    return upstreamError(ctx, response, [], [], false, session !== null);
  }
  return withHeaders(sseResponse(ctx, response, clientResponseHeaders(response.headers), []), lease.headers);
}

async function proxyDelete(ctx: ProxyContext): Promise<Response> {
  const session = await upstreamSession(ctx);
  if (session === "invalid") return sessionNotFound();
  const exchange = await leasedExchange(ctx, { pinnedUrl: session?.url }, async (endpoint) => {
    const call = upstreamCall(ctx.server, endpoint, ctx.request.headers, ctx.secrets, {
      upstreamSessionId: session?.id ?? null,
    });
    return fetchUpstream(call, { method: "DELETE" }, ctx.server.timeoutMs, ctx.upstreamFetch);
  });
  if ("refusal" in exchange) return refusalReply(exchange.refusal, session !== null);
  const { result } = exchange;
  if ("kind" in result) return upstreamFailureReply(result, ctx.server.timeoutMs);
  await result.response.body?.cancel();
  const status =
    result.response.status === 401 || result.response.status === 403 ? 502 : result.response.status;
  return new Response(null, { status, headers: clientResponseHeaders(result.response.headers) });
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
  headers.set("content-type", "text/event-stream");
  headers.set("cache-control", "no-cache");
  headers.set("x-accel-buffering", "no");
  return new Response(body, { status: response.status, headers });
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

function acceptsBoth(accept: string | null): boolean {
  return Boolean(accept?.includes("application/json") && accept.includes("text/event-stream"));
}

function isForwardedRequest(verdict: MessageVerdict): boolean {
  return verdict.id !== null && verdict.decision?.allow === true;
}
