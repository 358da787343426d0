// The aggregated endpoint's hot path for stateless 2026-07-28 clients: a lone
// `tools/call` that needs nothing the SDK's serving machinery adds (no
// progress to stream, no input request to bridge, no log level to relay, no
// request state to resume) is answered by the gateway's own handlers
// (gateway-handlers.ts: the same policy, catalog, pinning and upstream call)
// without building an SDK server and transport per request: the reply is
// built once from the message the ingress already parsed, encoded as the
// SDK's 2026-07-28 encode seam does (`resultType`, the server's identity in
// `_meta`). Anything else returns null and goes to the SDK (gateway-serving.ts).
// Measured: the SDK's per-request serving (envelope and schema checks, a
// server and a transport, the response stream) was the largest CPU item of a
// stateless call (docs/architecture.md, "Per-request inventory of /mcp").
import {
  type CallToolResult,
  createMcpHandler,
  ProtocolError,
  Server,
  type ServerContext,
} from "@modelcontextprotocol/server";
import type { JsonRpcId } from "../protocol/jsonrpc.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { isPlainObject, isPlainToolResult } from "../protocol/tool-results.ts";
import { relayedCapabilities } from "../upstream/upstream-relay.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { markPlainCall } from "./gateway-forward.ts";
import { GatewayHandlers } from "./gateway-handlers.ts";
import { GATEWAY_SERVER_INFO } from "./gateway-server.ts";

const ENVELOPE = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
} as const;
const ENVELOPE_KEYS = new Set<string>(Object.values(ENVELOPE));
const SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo";
const RESOURCE_NOT_FOUND = -32002;

type Fields = Record<string, unknown>;

interface DirectCall {
  id: JsonRpcId;
  name: string;
  args: Fields;
  envelope: Fields;
}

/** The reply to a plain stateless tools/call, or null when the SDK must serve the request. */
export function directToolCall(exchange: GatewayExchange): Promise<Response> | null {
  const call = exchange.createServer ? null : plainToolCall(exchange);
  return call && answer(exchange, call);
}

/** The call when the body is one tools/call with a valid bare envelope and nothing else. */
function plainToolCall(exchange: GatewayExchange): DirectCall | null {
  const { request } = exchange;
  const call = request.soleToolCall();
  if (!call) return null;
  const { args, meta: envelope } = call;
  if (!isPlainObject(args) || !isPlainObject(envelope)) return null;
  // A progress token, a log level or anything else in _meta needs the SDK's machinery.
  if (Object.keys(envelope).some((key) => !ENVELOPE_KEYS.has(key))) return null;
  const clientInfo = envelope[ENVELOPE.clientInfo];
  const capabilities = envelope[ENVELOPE.clientCapabilities];
  if (
    envelope[ENVELOPE.protocolVersion] !== request.protocolVersion ||
    !isPlainObject(clientInfo) ||
    typeof clientInfo.name !== "string" ||
    typeof clientInfo.version !== "string" ||
    !isPlainObject(capabilities) ||
    // A client that can answer input requests may need the input bridge (input-exchange.ts).
    Object.keys(relayedCapabilities(capabilities)).length > 0
  ) {
    return null;
  }
  return { id: call.id, name: call.name, args, envelope };
}

async function answer(exchange: GatewayExchange, call: DirectCall): Promise<Response> {
  const { request } = exchange;
  exchange.expect(request.body?.messages ?? []);
  // What the handlers read of the SDK's request context, for a call without progress, state or relay.
  const ctx = markPlainCall({
    mcpReq: {
      id: call.id,
      signal: request.signal,
      _meta: undefined,
      envelope: call.envelope,
      requestState: () => undefined,
      inputResponses: undefined,
      notify: async () => {},
    },
  } as unknown as ServerContext);
  let reply: Fields;
  try {
    const result = (await new GatewayHandlers(exchange).callTool(call.name, call.args, ctx)) as Fields;
    const complete = result.content === undefined ? { ...result, content: [] } : result;
    // A result the SDK's schema might reshape or refuse is encoded by the SDK itself.
    if (!isPlainToolResult(complete)) return encodedBySdk(exchange, result);
    reply = { jsonrpc: "2.0", id: call.id, result: encodedResult(complete) };
  } catch (error) {
    reply = { jsonrpc: "2.0", id: call.id, error: rpcError(error) };
  }
  // The reply is complete: its audit event needs no watch on the body going out.
  exchange.record();
  return new Response(JSON.stringify(reply), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
}

/** As the SDK's 2026-07-28 encode seam does for a plain result: `resultType` stamped, the server's identity in `_meta`. */
function encodedResult(result: Fields): Fields {
  const meta = result._meta as Fields | undefined;
  return {
    ...result,
    resultType: "complete",
    _meta:
      meta === undefined
        ? { [SERVER_INFO_KEY]: GATEWAY_SERVER_INFO }
        : SERVER_INFO_KEY in meta
          ? meta
          : { ...meta, [SERVER_INFO_KEY]: GATEWAY_SERVER_INFO },
  };
}

/**
 * The call's result answered by the SDK's own 2026-07-28 serving, as the full
 * path would answer it (its schema check, its encoding); the upstream call is
 * not repeated: the one-off server hands back the result already obtained.
 */
function encodedBySdk(exchange: GatewayExchange, result: Fields): Promise<Response> {
  const server = new Server(GATEWAY_SERVER_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler("tools/call", async () => result as CallToolResult);
  const handler = createMcpHandler(() => server, {
    legacy: "reject",
    maxRequestBodySize: exchange.config.maxBodyBytes,
  });
  const { request } = exchange;
  return handler
    .fetch(request.http, request.json !== undefined ? { parsedBody: request.json } : undefined)
    .then((response) => exchange.recordAfter(response));
}

/** A handler's failure as the SDK reports it; anything that is not a protocol error stays internal. */
function rpcError(error: unknown): Fields {
  if (error instanceof ProtocolError) {
    return {
      // The 2026-07-28 codec reports "resource not found" (-32002) as invalid params.
      code: error.code === RESOURCE_NOT_FOUND ? ErrorCode.InvalidParams : error.code,
      message: error.message,
      ...(error.data !== undefined && { data: error.data }),
    };
  }
  console.warn(JSON.stringify({ level: "warn", event: "mcp_direct_call_error", error: String(error) }));
  return { code: ErrorCode.InternalError, message: "Internal error" };
}
