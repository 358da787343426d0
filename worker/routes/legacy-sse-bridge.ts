// The Worker's half of the legacy HTTP+SSE bridge (durable-objects/
// legacy-sse-session.ts): `GET …/sse` mints a session id and hands the
// authenticated caller's stream to a LegacySseSession; `POST …/message?
// sessionId=` reads the request once (ingress) and delivers it there. The
// object holds the stream and answers on it; the target names which
// Streamable HTTP endpoint it bridges onto (a virtual server, or a
// registered server at `/{path}`).
import type { Context } from "hono";
import { McpRequest } from "../edge/ingress.ts";
import { legacySseStub } from "../platform/durable-objects.ts";
import { randomHex } from "../platform/encoding.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { jsonRpcError } from "../protocol/replies.ts";
import { callerKey } from "../proxy/session-token.ts";
import type { Transport } from "../store/registry-store.ts";

type LegacyTarget = { virtual: string } | { server: string };

/** Legacy session ids the gateway mints: 32 random bytes, hex. */
const LEGACY_SESSION_ID = /^[0-9a-f]{64}$/;

/** Opens the client's event stream; its `endpoint` event names `{messagePath}?sessionId=…`. */
export function openLegacyStream(
  c: Context<{ Bindings: Env }>,
  target: LegacyTarget,
  messagePath: string,
): Promise<Response> {
  const id = randomHex(32);
  const endpoint = `${messagePath}?sessionId=${id}`;
  return legacySseStub(c.env, id).open(callerKey(c.get("principal")), target, endpoint);
}

/** One POST of the client, delivered to the object holding its stream (202; answers go on the stream). */
export async function deliverLegacyMessage(
  c: Context<{ Bindings: Env }>,
  target: LegacyTarget,
): Promise<Response> {
  const id = c.req.query("sessionId") ?? "";
  if (!LEGACY_SESSION_ID.test(id)) return jsonRpcError(404, ErrorCode.InvalidRequest, "Session not found");
  const { services, config } = c.var;
  const request = await McpRequest.read(c.req.raw, {
    principal: c.get("principal"),
    requestId: c.get("requestId") ?? crypto.randomUUID(),
    deps: { services, config, env: c.env, waitUntil: c.executionCtx },
  });
  if (request.bodyError !== null) {
    const { code, message, id: rpcId } = request.bodyError;
    return jsonRpcError(400, code, message, { id: rpcId });
  }
  return legacySseStub(c.env, id).deliver(request.snapshot(), target);
}

/**
 * Whether this request to `/{path}/sse` or `/{path}/message` is the bridge's:
 * the server speaks Streamable HTTP only (a server with an SSE endpoint is
 * proxied as is). A POST naming a bridge session (`sessionId`) goes to its
 * object even when the server is gone or hidden now: the object answers
 * there, ends the session and closes the client's stream.
 */
export function servedByLegacyBridge(
  c: Context<{ Bindings: Env }>,
  server: { endpoints: { transport: Transport }[] } | Response,
): boolean {
  if (server instanceof Response) return c.req.method === "POST" && c.req.query("sessionId") !== undefined;
  const speaks = (transport: Transport) => server.endpoints.some((e) => e.transport === transport);
  return speaks("streamable-http") && !speaks("sse");
}

/** Serves `/{path}/sse` (GET) or `/{path}/message` (POST) through the bridge. */
export function serveLegacyBridge(c: Context<{ Bindings: Env }>): Promise<Response> {
  const path = c.req.param("path") ?? "";
  const target = { server: path };
  return c.req.method === "GET"
    ? openLegacyStream(c, target, `/${path}/message`)
    : deliverLegacyMessage(c, target);
}
