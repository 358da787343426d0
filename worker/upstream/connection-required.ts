// The reply of a per-server endpoint (/{path}/mcp, /{path}/sse) when the
// caller has not connected their own account to a server with per-user
// (`oauth`) egress: one JSON-RPC error per request of the body, carrying
// `data.connectUrl` and a URL elicitation, so nothing reaches the upstream
// without the caller's own credential.
import { errorResponse, type ParsedBody } from "../protocol/jsonrpc.ts";
import { jsonRpcError, jsonRpcReply } from "../protocol/replies.ts";
import { type ConnectionRequiredError, connectionRequiredRpc } from "./egress.ts";

export function connectionRequiredReply(body: ParsedBody | null, error: ConnectionRequiredError): Response {
  const rpc = connectionRequiredRpc(error);
  const ids = (body?.messages ?? []).flatMap((entry) => (entry.type === "request" ? [entry.message.id] : []));
  // No request to answer (a stream, a notification, a session end): the HTTP status says it.
  if (body === null || ids.length === 0) return jsonRpcError(403, rpc.code, rpc.message, { data: rpc.data });
  const replies = ids.map((id) => errorResponse(id, rpc.code, rpc.message, rpc.data));
  return jsonRpcReply(body.batch ? replies : (replies[0] as (typeof replies)[number]), 200);
}
