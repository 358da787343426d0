// Serving exchanges of the aggregated endpoint with the MCP SDK. Stateless
// 2026-07-28 clients are answered in the Worker by `createMcpHandler` (modern
// only: `legacy: "reject"`), one fresh gateway server per request. A request
// of a session-based client is answered inside its McpSession Durable Object
// by a fresh gateway server on a session-less Streamable HTTP transport: the
// session itself (identity binding, expiry, upstream sessions) is the Durable
// Object's, so nothing the SDK keeps in memory has to survive eviction.
// The SDK gets the body the ingress already parsed (`parsedBody`): it never
// reads or parses the body again.
import {
  type AuthInfo,
  createMcpHandler,
  type McpHttpHandler,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import type { GatewayConfig } from "../env.ts";
import { ErrorCode, type JsonRpcId } from "../protocol/jsonrpc.ts";
import { afterBody, GatewayExchange } from "./gateway-exchange.ts";
import { createGatewayServer } from "./gateway-server.ts";
import { type ListenFilter, listenFilter, UpstreamEventBus } from "./listen-relay.ts";
import { SESSION_STREAM_RETRY_MS, type SessionStreams } from "./session-streams.ts";

const EXCHANGE_KEY = "mcpGatewayExchange";

/** The SDK passes `authInfo` through to the server factory untouched: the exchange rides along. */
function authInfoFor(exchange: GatewayExchange): AuthInfo {
  return {
    token: "",
    clientId: exchange.principal.subject,
    scopes: [...exchange.principal.scopes],
    extra: { [EXCHANGE_KEY]: exchange },
  };
}

function exchangeOf(authInfo: AuthInfo | undefined): GatewayExchange {
  const exchange = authInfo?.extra?.[EXCHANGE_KEY];
  if (!(exchange instanceof GatewayExchange))
    throw new Error("aggregated endpoint: request without exchange");
  return exchange;
}

// One handler per configuration (per isolate): it holds nothing per caller.
const statelessHandlers = new WeakMap<GatewayConfig, McpHttpHandler>();

function statelessHandler(config: GatewayConfig): McpHttpHandler {
  let handler = statelessHandlers.get(config);
  if (!handler) {
    handler = createMcpHandler((ctx) => serverFor(exchangeOf(ctx.authInfo)), {
      legacy: "reject",
      maxRequestBodySize: config.maxBodyBytes,
      onerror: (error) => logError("mcp_stateless_error", error),
    });
    statelessHandlers.set(config, handler);
  }
  return handler;
}

function listenHandler(exchange: GatewayExchange, filter: ListenFilter): McpHttpHandler {
  return createMcpHandler((ctx) => serverFor(exchangeOf(ctx.authInfo)), {
    legacy: "reject",
    maxRequestBodySize: exchange.config.maxBodyBytes,
    bus: new UpstreamEventBus(exchange, filter),
    onerror: (error) => logError("mcp_listen_error", error),
  });
}

/** A 2026-07-28 request, answered without any session. */
export async function serveStateless(exchange: GatewayExchange): Promise<Response> {
  noteRequests(exchange);
  const { request } = exchange;
  // A listen stream gets a handler of its own whose event bus its upstreams feed (listen-relay.ts).
  const filter = listenFilter(exchange);
  const handler = filter ? listenHandler(exchange, filter) : statelessHandler(exchange.config);
  const response = await handler.fetch(request.http, {
    authInfo: authInfoFor(exchange),
    ...(request.json !== undefined && { parsedBody: request.json }),
  });
  return exchange.recordAfter(response);
}

/** How the session object serves one request of its client (see mcp-session.ts). */
export interface SessionServing {
  /** One JSON answer (used for `initialize`, whose result the session reads) instead of SSE. */
  json: boolean;
  /** The session's relay reaches this transport while it serves (session-relay.ts); returns the release. */
  serving?: (transport: WebStandardStreamableHTTPServerTransport) => () => void;
  /** The session's resumable streams (session-streams.ts): the answer opens with a priming event and can be resumed. */
  streams?: SessionStreams;
}

/**
 * One request of a session-based (2025-era) client. `json` answers with a
 * single JSON body; otherwise requests are answered as SSE so progress can
 * stream, on a resumable stream of the session when `streams` is given: if
 * the stream is shed before the answer (session-streams.ts), the call goes on
 * and the server is closed only once it is answered.
 */
export async function serveSessionRequest(
  exchange: GatewayExchange,
  options: SessionServing,
): Promise<Response> {
  noteRequests(exchange);
  const { request } = exchange;
  const server = serverFor(exchange);
  const ids = requestIds(exchange);
  const stream = !options.json && ids.length > 0 ? options.streams?.open(ids) : undefined;
  const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: options.json,
    maxRequestBodySize: exchange.config.maxBodyBytes,
    ...(stream && {
      // Closing any request's stream closes the POST's one stream.
      eventStore: stream.eventStore(() => transport.closeSSEStream(ids[0] as JsonRpcId)),
      retryInterval: SESSION_STREAM_RETRY_MS,
    }),
  });
  transport.onerror = (error) => logError("mcp_session_transport_error", error);
  await server.connect(transport);
  // The session's relay reaches this transport while it serves (session-relay.ts).
  const release = options.serving?.(transport);
  const response = await transport.handleRequest(request.http, {
    authInfo: authInfoFor(exchange),
    ...(request.json !== undefined && { parsedBody: request.json }),
  });
  const finished = () => {
    exchange.record();
    release?.();
    server.close().catch(() => {});
    stream?.end();
  };
  if (!stream || !response.body) {
    stream?.end();
    return exchange.recordAfter(response, () => {
      release?.();
      server.close().catch(() => {});
    });
  }
  // A shed stream's call goes on after the client's answer ended: audit and close once it is answered.
  const body = afterBody(response.body, () => {
    stream.postEnded().then(finished, finished);
  });
  return new Response(body, { status: response.status, headers: response.headers });
}

/** The ids of the body's JSON-RPC requests. */
function requestIds(exchange: GatewayExchange): JsonRpcId[] {
  const messages = exchange.request.body?.messages ?? [];
  return messages.flatMap((entry) => (entry.type === "request" ? [entry.message.id] : []));
}

/** The exchange's own server (a virtual server's), else the aggregated gateway server. */
function serverFor(exchange: GatewayExchange) {
  return exchange.createServer ? exchange.createServer(exchange) : createGatewayServer(exchange);
}

/** Registers the body's JSON-RPC requests for the audit (from the ingress's one parse). */
function noteRequests(exchange: GatewayExchange): void {
  const { request } = exchange;
  if (request.method !== "POST") {
    exchange.rejected("not_a_post", request.method);
    return;
  }
  if (request.bodyError !== null) {
    exchange.rejected(request.bodyError.code === ErrorCode.ParseError ? "parse_error" : "invalid_request");
    return;
  }
  if (request.body !== null) exchange.expect(request.body.messages);
}

/** What the SDK reports while serving: almost always a client's bad request, so a warning. */
function logError(event: string, error: Error): void {
  console.warn(JSON.stringify({ level: "warn", event, error: error.message }));
}
