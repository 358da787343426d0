// Protocol bridging on `/{path}/mcp` (issue 11), the mirror of
// server-mcp-2026.ts: a session-based (2025-era) client gets a session
// whatever the server speaks. A server that speaks only 2026-07-28 refuses the
// 2025 `initialize` the pass-through would forward (-32022, -32601, a 4xx), so
// such a client is served by the aggregated session machinery instead: an
// McpSession object scoped to this one server (aggregated/server-scope.ts),
// exposing its catalog under its own names and talking 2026 to the upstream;
// an upstream's input_required reaches the client as a server-to-client
// request on its stream. The catalog cannot tell a 2026-only server from one
// that speaks both (the catalog read negotiates 2026 first), so the first
// `initialize` goes through the pass-through; its refusal is remembered per
// upstream URL (upstream/session-handshake.ts, per isolate), and later ones go
// straight to the bridge. A server speaking both keeps the pass-through.
import { isInitializeRequest } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import { serverSessionScope, wholeServerScope } from "../aggregated/server-scope.ts";
import { McpRequest } from "../edge/ingress.ts";
import { pinnedGuard } from "../edge/pinned-guard.ts";
import type { JsonRpcResponse } from "../protocol/jsonrpc.ts";
import { jsonRpcReply } from "../protocol/replies.ts";
import { prepareOutgoing } from "../proxy/message-rewrite.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { sessionHandshakeFirst, sessionHandshakeRefused } from "../upstream/session-handshake.ts";
import { serveAggregated } from "./aggregated-mcp.ts";

type Env_ = { Bindings: Env };

/** Session ids McpSession objects are named by (routes/aggregated-mcp.ts); proxy session tokens never look like this. */
const BRIDGE_SESSION_ID = /^[0-9a-f]{64}$/;

/**
 * Serves a session client's request to `server`, whose catalog reports
 * 2026-07-28: through the bridge when the server speaks only that (or the
 * request names a bridge session), otherwise through `passThrough` (the
 * per-server proxy).
 */
export async function serveSessionClient(
  c: Context<Env_>,
  server: ServerRecord,
  passThrough: () => Promise<Response>,
): Promise<Response> {
  // The server may speak only 2026-07-28 (routes/server-mcp.ts, on the route's `speaks2026`).
  const url = server.endpoints.find((endpoint) => endpoint.transport === "streamable-http")?.url;
  if (url === undefined) return passThrough();
  const sessionId = c.req.raw.headers.get("mcp-session-id");
  if (sessionId !== null) {
    // A bridge session: its object answers (404 for an unknown or another caller's id).
    return BRIDGE_SESSION_ID.test(sessionId) ? bridge(c, server, c.req.raw) : passThrough();
  }
  if (c.req.method !== "POST") return passThrough();
  if (!sessionHandshakeFirst(url, true)) return bridge(c, server, c.req.raw);
  const copy = c.req.raw.clone();
  const answer = await passThrough();
  if (!(await refusedHandshake(answer))) return answer;
  const request = await readRequest(c, copy);
  const first = request.body?.messages[0];
  if (request.body?.batch !== false || first === undefined || !isInitializeRequest(first.message))
    return answer;
  sessionHandshakeRefused(url);
  return bridge(c, server, request);
}

/** Whether the pass-through's answer is the upstream refusing the 2025 handshake (as upstream-call.ts judges it). */
async function refusedHandshake(answer: Response): Promise<boolean> {
  if (answer.status >= 400 && answer.status < 500 && ![401, 403, 408, 429].includes(answer.status)) {
    return true;
  }
  if (answer.status !== 200 || !(answer.headers.get("content-type") ?? "").includes("application/json")) {
    return false;
  }
  try {
    const body = (await answer.clone().json()) as { error?: unknown; result?: unknown };
    return body.error !== undefined && body.result === undefined;
  } catch {
    return false;
  }
}

function readRequest(c: Context<Env_>, raw: Request): Promise<McpRequest> {
  const { services, config } = c.var;
  return McpRequest.read(raw, {
    principal: c.get("principal"),
    requestId: c.get("requestId") ?? crypto.randomUUID(),
    deps: { services, config, env: c.env, waitUntil: c.executionCtx },
  });
}

/** Serves the request by the aggregated session leg, scoped to `server` alone. */
async function bridge(c: Context<Env_>, server: ServerRecord, raw: Request | McpRequest): Promise<Response> {
  const request = raw instanceof McpRequest ? raw : await readRequest(c, raw);
  const refused = await refusedByServerPolicy(c, server, request);
  if (refused !== null) return refused;
  return serveAggregated(
    c,
    {
      endpoint: `/${server.path}/mcp`,
      virtual: await wholeServerScope(c.var.services, server),
      sessionScope: serverSessionScope(server.path),
    },
    request,
  );
}

/**
 * The per-server path's own policy and tool pins, decided as the pass-through
 * decides them (proxy/message-rewrite.ts): every method needs a grant on this
 * server (`initialize` and `tools/list` too), a held tool is refused. A body
 * with a refused request is answered here with the refusals and audited as
 * denied; it never reaches the session, let alone the upstream.
 */
async function refusedByServerPolicy(
  c: Context<Env_>,
  server: ServerRecord,
  request: McpRequest,
): Promise<Response | null> {
  const messages = request.body?.messages ?? [];
  if (!messages.some((message) => message.type === "request")) return null;
  const access = await request.access();
  const pins = await c.var.services.approvals.pinsFor(server.tenant, server.id);
  const prepared = prepareOutgoing(messages, pinnedGuard(access.forServer(server.path), pins));
  if (prepared.refusals.length === 0) return null;
  request.audit.expect(messages);
  for (const { id, decision } of prepared.verdicts) {
    if (id !== null && decision !== null) request.audit.decided(id, decision);
  }
  request.audit.record();
  return jsonRpcReply(
    request.body?.batch ? prepared.refusals : (prepared.refusals[0] as JsonRpcResponse),
    200,
  );
}
