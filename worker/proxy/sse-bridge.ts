// Transport bridging on `/{path}/mcp` for a server that speaks only the
// legacy HTTP+SSE transport: a Streamable HTTP client posts its messages
// here, and each exchange is one short legacy conversation with the upstream
// through the SDK's own SSE client transport (open the stream, initialize
// with the client's recorded params, send the client's messages, collect
// every answer, close). The client's session lives in its sealed token
// (proxy-session.ts), so any isolate can serve the next request.
//
// Limits of a per-exchange conversation: upstream state (logging level,
// subscriptions) does not outlive one POST, the upstream cannot ask the
// client anything (its requests are refused with -32601), and notifications
// from the client alone (nothing to answer) are acknowledged without
// contacting the upstream.

import { type JSONRPCMessage, SSEClientTransport } from "@modelcontextprotocol/client";
import { deadline } from "../platform/deadline.ts";
import {
  ErrorCode,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcResponse,
  type ParsedBody,
  SESSION_BASED_VERSIONS,
} from "../protocol/jsonrpc.ts";
import { jsonRpcReply } from "../protocol/replies.ts";
import { formatSseEvent } from "../protocol/sse.ts";
import { refusalToJsonRpc } from "../resilience/lease.ts";
import { applyEgress } from "../upstream/egress.ts";
import { leasedExchange } from "../upstream/leased-exchange.ts";
import { prepareOutgoing, rewriteIncoming } from "./message-rewrite.ts";
import { auditVerdicts, type ProxyContext, withHeaders } from "./proxy-context.ts";
import { initializeParams, keptInit, type ProxySession, sealProxySession } from "./proxy-session.ts";

const INIT_ID = "gw:bridge-init";

/** Used when the client's own initialize params are not known (a session-less client). */
const DEFAULT_INIT = {
  protocolVersion: SESSION_BASED_VERSIONS[SESSION_BASED_VERSIONS.length - 1],
  capabilities: {},
  clientInfo: { name: "mcp-gateway", version: "0.1.0" },
};

export async function bridgeSsePost(
  ctx: ProxyContext,
  body: ParsedBody,
  session: ProxySession | null,
): Promise<Response> {
  const prepared = prepareOutgoing(body.messages, ctx.guard);
  const init = initializeParams(prepared.forward);
  // The gateway opens every conversation itself, initialized notification included.
  const forward = prepared.forward.filter(
    (message) => !("method" in message && message.method === "notifications/initialized"),
  );
  const ids = forward.flatMap((message) =>
    "method" in message && "id" in message ? [(message as { id: JsonRpcId }).id] : [],
  );
  const reply = (responses: JsonRpcResponse[], status: number) =>
    jsonRpcReply(body.batch ? responses : (responses[0] as JsonRpcResponse), status);
  if (ids.length === 0) {
    auditVerdicts(ctx, prepared.verdicts, "ok", null);
    return prepared.refusals.length > 0 ? reply(prepared.refusals, 200) : new Response(null, { status: 202 });
  }

  const methods = forward.flatMap((message) => ("method" in message ? [message.method] : []));
  let replicaUrl = "";
  const exchange = await leasedExchange(ctx, { methods }, async (endpoint) => {
    replicaUrl = endpoint.url;
    const egress = applyEgress(endpoint.url, ctx.server.egress, ctx.secrets);
    const conversation = await converse(ctx, egress, {
      // An initialize goes as the client sent it; anything else runs after the recorded one.
      opening: init === null ? (session?.init ?? DEFAULT_INIT) : null,
      forward,
      ids,
    });
    if ("kind" in conversation) return conversation;
    return { response: Response.json(conversation.messages) };
  });

  if ("refusal" in exchange) {
    auditVerdicts(ctx, prepared.verdicts, exchange.refusal.refused, null);
    const refused = ids.map((id) => refusalToJsonRpc(exchange.refusal, id));
    const first = refused[0] as ReturnType<typeof refusalToJsonRpc>;
    return jsonRpcReply(
      body.batch ? [...refused.map((item) => item.body), ...prepared.refusals] : first.body,
      first.status,
      first.headers,
    );
  }
  const { result, lease } = exchange;
  if ("kind" in result) {
    auditVerdicts(ctx, prepared.verdicts, "upstream_error", null);
    const timeout = result.kind === "timeout";
    const code = timeout ? ErrorCode.UpstreamTimeout : ErrorCode.UpstreamUnavailable;
    const message = timeout
      ? `Upstream did not answer within ${ctx.server.timeoutMs} ms`
      : `Upstream unreachable: ${result.message}`;
    return reply(
      [...ids.map((id) => errorResponse(id, code, message)), ...prepared.refusals],
      timeout ? 504 : 502,
    );
  }
  auditVerdicts(ctx, prepared.verdicts, "ok", 200);
  const upstreamMessages = (await result.response.json()) as unknown[];
  const messages = [
    ...upstreamMessages.map((message) => rewriteIncoming(message, ctx.guard)),
    ...prepared.refusals,
  ];

  const headers = new Headers();
  if (init !== null) {
    const answer = messages.find((message) => (message as { id?: unknown }).id === ids[0]) as
      | JsonRpcResponse
      | undefined;
    const version = (answer?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    const opened: ProxySession = {
      url: replicaUrl,
      id: null,
      version: typeof version === "string" ? version : null,
      init: keptInit(init),
      bridge: "sse",
    };
    headers.set("mcp-session-id", await sealProxySession(ctx, opened));
  }
  return withHeaders(answer(ctx, body, messages, headers), lease.headers);
}

/** SSE when the client takes it (notifications such as progress come along), JSON otherwise. */
function answer(ctx: ProxyContext, body: ParsedBody, messages: unknown[], headers: Headers): Response {
  if (ctx.request.headers.get("accept")?.includes("text/event-stream")) {
    const text = messages
      .map((message) => formatSseEvent({ event: "message", data: JSON.stringify(message), comments: [] }))
      .join("");
    headers.set("content-type", "text/event-stream");
    headers.set("cache-control", "no-cache");
    return new Response(text, { status: 200, headers });
  }
  const responses = messages.filter((message) => !("method" in (message as object)));
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify(body.batch ? responses : responses[0]), { status: 200, headers });
}

interface Conversation {
  /** The client's initialize params to open with; null when the client's own initialize is in `forward`. */
  opening: Record<string, unknown> | null;
  forward: JsonRpcMessage[];
  /** Ids of the requests in `forward`: the conversation ends when all are answered. */
  ids: JsonRpcId[];
}

type ConversationResult =
  | { messages: unknown[] }
  | { kind: "timeout" }
  | { kind: "unreachable"; message: string };

/** One legacy HTTP+SSE conversation through the SDK's SSE client transport. */
async function converse(
  ctx: ProxyContext,
  egress: { url: string; headers: Record<string, string> },
  { opening, forward, ids }: Conversation,
): Promise<ConversationResult> {
  const timeout = deadline(ctx.server.timeoutMs);
  // Called as a plain function: workerd's fetch throws "Illegal invocation" on any other `this`.
  const boundFetch: typeof fetch = (input, init) =>
    ctx.upstreamFetch(input, {
      ...init,
      signal: init?.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal,
    });
  const transport = new SSEClientTransport(new URL(egress.url), {
    fetch: boundFetch,
    requestInit: { headers: egress.headers },
  });
  const messages: unknown[] = [];
  const waiting = new Set(ids.map((id) => JSON.stringify(id)));
  const waiters = new Map<string, (message: JsonRpcResponse) => void>();
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {});
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const answerOf = (id: JsonRpcId) =>
    new Promise<JsonRpcResponse>((resolve) => waiters.set(JSON.stringify(id), resolve));

  transport.onmessage = (message) => {
    const raw = message as unknown as { id?: JsonRpcId; method?: string };
    if (raw.method !== undefined && raw.id !== undefined) {
      // The client cannot be asked anything within a bridged exchange.
      const refusal = errorResponse(
        raw.id,
        ErrorCode.MethodNotFound,
        "Not available through the gateway's transport bridge",
      );
      void transport.send(refusal as unknown as JSONRPCMessage).catch(() => {});
      return;
    }
    const key = raw.id === undefined ? null : JSON.stringify(raw.id);
    const waiter = key === null ? undefined : waiters.get(key);
    if (waiter && key !== null && !waiting.has(key)) {
      waiter(message as unknown as JsonRpcResponse);
      return;
    }
    messages.push(message);
    if (key !== null && waiting.delete(key) && waiting.size === 0) done();
  };
  transport.onerror = (error) => fail(error);
  transport.onclose = () => fail(new Error("the upstream closed the stream"));
  const abort = new Promise<never>((_, reject) =>
    timeout.signal.addEventListener("abort", () => reject(new Error("timeout")), { once: true }),
  );
  abort.catch(() => {});

  try {
    await Promise.race([transport.start(), failed, abort]);
    if (opening !== null) {
      const opened = answerOf(INIT_ID);
      await transport.send({
        jsonrpc: "2.0",
        id: INIT_ID,
        method: "initialize",
        params: opening,
      } as JSONRPCMessage);
      const initialized = await Promise.race([opened, failed, abort]);
      const version = (initialized.result as { protocolVersion?: unknown } | undefined)?.protocolVersion;
      if (initialized.error || typeof version !== "string") {
        return { kind: "unreachable", message: "the upstream refused to initialize" };
      }
      transport.setProtocolVersion(version);
      await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" } as JSONRPCMessage);
    }
    for (const message of forward) await transport.send(message as unknown as JSONRPCMessage);
    await Promise.race([finished, failed, abort]);
    return { messages };
  } catch (error) {
    if (timeout.signal.aborted) return { kind: "timeout" };
    return { kind: "unreachable", message: error instanceof Error ? error.message : String(error) };
  } finally {
    transport.onclose = undefined;
    timeout.clear();
    await transport.close().catch(() => {});
  }
}
