// JSON-RPC replies the gateway itself produces over HTTP: one builder for
// every MCP endpoint, so status, content type and codes agree everywhere.
// Pure; imports only the codec.
import { ErrorCode, errorResponse, type JsonRpcId, type JsonRpcResponse } from "./jsonrpc.ts";

/** A JSON-RPC reply produced by the gateway itself. */
export function jsonRpcReply(
  body: JsonRpcResponse | JsonRpcResponse[],
  status: number,
  headers?: HeadersInit,
): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set("content-type", "application/json");
  return response;
}

/** A single JSON-RPC error as an HTTP reply. */
export function jsonRpcError(
  status: number,
  code: number,
  message: string,
  options: { id?: JsonRpcId | null; data?: unknown; headers?: HeadersInit } = {},
): Response {
  return jsonRpcReply(
    errorResponse(options.id ?? null, code, message, options.data),
    status,
    options.headers,
  );
}

/**
 * The answer to a session id the caller may not (or can no longer) use, on
 * every MCP endpoint: 404 with -32001, as both MCP SDKs answer it, so a
 * client starts a new session. Another identity's session looks exactly like
 * an unknown one.
 */
export function sessionNotFound(): Response {
  return jsonRpcError(404, ErrorCode.SessionNotFound, "Session not found");
}

/** 400 with -32022: a MCP-Protocol-Version the endpoint (or, in a session, the session) does not speak. */
export function unsupportedVersion(
  requested: string,
  supported: readonly string[],
  id: JsonRpcId | null = null,
): Response {
  return jsonRpcError(400, ErrorCode.UnsupportedProtocolVersion, "Unsupported protocol version", {
    id,
    data: { requested, supported },
  });
}
