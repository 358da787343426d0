// Serving exchanges of the aggregated endpoint with the MCP SDK. Stateless
// 2026-07-28 clients are answered in the Worker by `createMcpHandler` (modern
// only: `legacy: "reject"`), one fresh gateway server per request. A request
// of a session-based client is answered inside its McpSession Durable Object
// by a fresh gateway server on a session-less Streamable HTTP transport: the
// session itself (identity binding, expiry, upstream sessions) is the Durable
// Object's, so nothing the SDK keeps in memory has to survive eviction.

import {
  type AuthInfo,
  createMcpHandler,
  type McpHttpHandler,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import type { GatewayConfig } from "../env.ts";
import { adoptTraceFromMessages } from "../observability/tracing.ts";
import { GatewayExchange } from "./gateway-exchange.ts";
import { createGatewayServer } from "./gateway-server.ts";
import { ErrorCode, JsonRpcParseError, parseJsonRpcBody } from "./jsonrpc.ts";

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
    handler = createMcpHandler((ctx) => createGatewayServer(exchangeOf(ctx.authInfo)), {
      legacy: "reject",
      maxRequestBodySize: config.maxBodyBytes,
      onerror: (error) => logError("mcp_stateless_error", error),
    });
    statelessHandlers.set(config, handler);
  }
  return handler;
}

/** A 2026-07-28 request, answered without any session. */
export async function serveStateless(exchange: GatewayExchange, request: Request): Promise<Response> {
  await noteRequests(exchange, request);
  const response = await statelessHandler(exchange.config).fetch(request, {
    authInfo: authInfoFor(exchange),
  });
  return exchange.recordAfter(response);
}

/**
 * One request of a session-based (2025-era) client. `json` answers with a
 * single JSON body (used for `initialize`, whose result the session reads);
 * otherwise requests are answered as SSE so progress can stream.
 */
export async function serveSessionRequest(
  exchange: GatewayExchange,
  request: Request,
  options: { json: boolean },
): Promise<Response> {
  await noteRequests(exchange, request);
  const server = createGatewayServer(exchange);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: options.json,
    maxRequestBodySize: exchange.config.maxBodyBytes,
  });
  transport.onerror = (error) => logError("mcp_session_transport_error", error);
  await server.connect(transport);
  const response = await transport.handleRequest(request, { authInfo: authInfoFor(exchange) });
  return exchange.recordAfter(response, () => {
    server.close().catch(() => {});
  });
}

/** Registers the body's JSON-RPC requests for the audit (the SDK reads the body itself). */
async function noteRequests(exchange: GatewayExchange, request: Request): Promise<void> {
  if (request.method !== "POST") {
    exchange.rejected("not_a_post", request.method);
    return;
  }
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > exchange.config.maxBodyBytes) {
    exchange.rejected("body_too_large");
    return;
  }
  try {
    const { messages } = parseJsonRpcBody(await request.clone().text());
    adoptTraceFromMessages(messages); // 2026-07-28: trace context in `_meta`
    exchange.expect(messages);
  } catch (error) {
    if (!(error instanceof JsonRpcParseError)) throw error;
    exchange.rejected(error.code === ErrorCode.ParseError ? "parse_error" : "invalid_request");
  }
}

function logError(event: string, error: Error): void {
  console.error(JSON.stringify({ level: "error", event, error: error.message }));
}
