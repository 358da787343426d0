// The per-server legacy HTTP+SSE proxy (2024-11-05 transport): `GET
// /{path}/sse` opens the upstream stream and rewrites its `endpoint` event so
// the client posts back through the gateway (`/{path}/message?session=…`,
// the upstream's message URL sealed to the caller); `POST /{path}/message`
// forwards there. Answers travel on the stream, which another isolate may be
// serving, so refused requests go upstream as a marked `ping` and the stream
// turns its answer into the refusal (see message-rewrite.ts).
import { ErrorCode, errorResponse } from "../protocol/jsonrpc.ts";
import { mediaTypeOf } from "../protocol/media-type.ts";
import { jsonRpcReply, sessionNotFound } from "../protocol/replies.ts";
import { type SseEvent, transformSseStream } from "../protocol/sse.ts";
import { leasedExchange } from "../upstream/leased-exchange.ts";
import { clientResponseHeaders, fetchUpstream, upstreamCall } from "../upstream/upstream-request.ts";
import { clientBody, prepareOutgoing } from "./message-rewrite.ts";
import {
  auditVerdicts,
  type ProxyContext,
  refusalReply,
  upstreamFailureReply,
  withHeaders,
} from "./proxy-context.ts";
import { openSessionValue, type SessionBinding, sealSessionValue } from "./session-token.ts";
import { rewriteSseMessage } from "./upstream-answers.ts";

function binding(ctx: ProxyContext): SessionBinding {
  return { purpose: "legacy-endpoint", serverId: ctx.server.id, principal: ctx.principal };
}

export async function proxyLegacyStream(ctx: ProxyContext): Promise<Response> {
  const exchange = await leasedExchange(ctx, {}, async (endpoint) => {
    const call = upstreamCall(ctx.server, endpoint, ctx.request.headers, ctx.secrets);
    call.headers.set("accept", "text/event-stream");
    return fetchUpstream(call, { method: "GET" }, ctx.server.timeoutMs, ctx.upstreamFetch);
  });
  if ("refusal" in exchange) return refusalReply(exchange.refusal, false);
  const { result, lease } = exchange;
  if ("kind" in result) return upstreamFailureReply(result, ctx.server.timeoutMs);
  const { response } = result;
  const contentType = mediaTypeOf(response.headers.get("content-type"));
  if (!response.ok || response.body === null || contentType !== "text/event-stream") {
    await response.body?.cancel();
    const message = `Upstream did not open an SSE stream (HTTP ${response.status})`;
    return jsonRpcReply(errorResponse(null, ErrorCode.UpstreamUnavailable, message), 502);
  }
  const replicaUrl = lease.endpoint.url;
  const messagePath = `/${ctx.server.path}/message`;
  const sealEndpoint = async (event: SseEvent): Promise<SseEvent[]> => {
    const target = URL.parse(event.data.trim(), replicaUrl);
    // The upstream may only send the client back to itself; anything else is
    // dropped, which leaves the client without a way to post.
    if (target === null || target.origin !== new URL(replicaUrl).origin) return [];
    const value = JSON.stringify([replicaUrl, target.toString()]);
    const token = await sealSessionValue(ctx.sessionSecret, binding(ctx), value);
    return [{ ...event, data: `${messagePath}?session=${encodeURIComponent(token)}` }];
  };
  const body = transformSseStream(response.body, (event) =>
    event.event === "endpoint" ? sealEndpoint(event) : [rewriteSseMessage(event, ctx)],
  );
  const headers = clientResponseHeaders(response.headers);
  headers.set("content-type", "text/event-stream");
  headers.set("cache-control", "no-cache");
  headers.set("x-accel-buffering", "no");
  return withHeaders(new Response(body, { status: 200, headers }), lease.headers);
}

export async function proxyLegacyMessage(ctx: ProxyContext): Promise<Response> {
  const token = new URL(ctx.request.url).searchParams.get("session");
  const sealed = token === null ? null : await openSessionValue(ctx.sessionSecret, binding(ctx), token);
  if (sealed === null) return sessionNotFound();
  const [replicaUrl, messageUrl] = JSON.parse(sealed) as [string, string];
  const body = clientBody(ctx.mcp);
  if (body instanceof Response) return body;
  const prepared = prepareOutgoing(body.messages, ctx.guard, { substituteDenied: true });
  const payload = JSON.stringify(body.batch ? prepared.forward : prepared.forward[0]);
  const methods = prepared.forward.flatMap((message) => ("method" in message ? [message.method] : []));
  // The stream lives on one replica: its messages must go there too.
  const exchange = await leasedExchange(ctx, { methods, pinnedUrl: replicaUrl }, async (endpoint) => {
    const call = upstreamCall(ctx.server, endpoint, ctx.request.headers, ctx.secrets, {
      targetUrl: messageUrl,
    });
    call.headers.set("content-type", "application/json");
    return fetchUpstream(call, { method: "POST", body: payload }, ctx.server.timeoutMs, ctx.upstreamFetch);
  });
  if ("refusal" in exchange) {
    auditVerdicts(ctx, prepared.verdicts, exchange.refusal.refused, null);
    return refusalReply(exchange.refusal, true);
  }
  const { result, lease } = exchange;
  if ("kind" in result) {
    auditVerdicts(ctx, prepared.verdicts, "upstream_error", null);
    return upstreamFailureReply(result, ctx.server.timeoutMs);
  }
  const { response } = result;
  auditVerdicts(ctx, prepared.verdicts, response.ok ? "ok" : "upstream_error", response.status);
  if (response.status === 404) {
    await response.body?.cancel();
    return sessionNotFound();
  }
  const status = response.status === 401 || response.status === 403 ? 502 : response.status;
  const text = await response.text();
  const reply = new Response(status === 502 ? "" : text, {
    status,
    headers: clientResponseHeaders(response.headers),
  });
  return withHeaders(reply, lease.headers);
}
