// Route of the aggregated endpoint `/mcp`: the gateway itself as an MCP server.
// Thin: Origin check, authentication, rate limits and the body limit, then the
// ingress reads the request once and its protocol generation decides the leg.
// Stateless 2026-07-28 requests are served here; session-based (2025-era)
// requests go to the session's McpSession Durable Object (`initialize`
// creates one), which serves them from the ingress's snapshot.
import { isInitializeRequest, isJsonContentType } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import { Hono } from "hono";
import { directToolCall } from "../aggregated/direct-call.ts";
import { GatewayExchange, type Generation } from "../aggregated/gateway-exchange.ts";
import { serveStateless } from "../aggregated/gateway-serving.ts";
import { isPlainSessionRequest } from "../aggregated/session-call.ts";
import {
  cancelLocalCalls,
  type SessionCallContext,
  sessionDirectCall,
} from "../aggregated/session-direct-call.ts";
import { sessionLedger } from "../aggregated/session-ledger.ts";
import { virtualExchange } from "../aggregated/virtual-exchange.ts";
import { cancellableOnHangUp } from "../edge/hang-up.ts";
import { McpRequest } from "../edge/ingress.ts";
import { sessionResponse, sessionStub } from "../platform/durable-objects.ts";
import { randomHex } from "../platform/encoding.ts";
import { ErrorCode, SUPPORTED_VERSIONS } from "../protocol/jsonrpc.ts";
import { jsonRpcError, jsonRpcReply, sessionNotFound, unsupportedVersion } from "../protocol/replies.ts";
import { checkStandardHeaders, versionsOffered } from "../protocol/standard-headers.ts";
import { isPlainObject } from "../protocol/tool-results.ts";
import { callerKey } from "../proxy/session-token.ts";
import type { VirtualServerRecord } from "../store/virtual-server-store.ts";
import { mcpFront } from "./mcp-front.ts";

type Env_ = { Bindings: Env };

const PROTOCOL_VERSION_KEY = "io.modelcontextprotocol/protocolVersion";

/** Session ids the gateway mints: 32 random bytes, hex. Anything else cannot name a session. */
const SESSION_ID = /^[0-9a-f]{64}$/;

export function aggregatedMcpRoutes() {
  const app = new Hono<Env_>();
  app.use("/mcp", mcpFront({ rateLimit: true, bodyLimit: true }));
  app.on(
    ["GET", "POST", "DELETE"],
    "/mcp",
    cancellableOnHangUp((c) => serveAggregated(c)),
  );
  app.all("/mcp", () =>
    jsonRpcError(405, ErrorCode.InvalidRequest, "Method not allowed", {
      headers: { allow: "GET, POST, DELETE" },
    }),
  );
  return app;
}

/**
 * Which MCP server an endpoint serves: the aggregated gateway (`/mcp`) or a
 * virtual server (`/v/{name}/mcp`, routes/virtual-mcp.ts), which shares this leg logic.
 */
export interface EndpointScope {
  endpoint: string;
  virtual: VirtualServerRecord | null;
  /** The McpSession scope when not the virtual server's name (aggregated/server-scope.ts). */
  sessionScope?: string;
}

const AGGREGATED: EndpointScope = { endpoint: "/mcp", virtual: null };

export async function serveAggregated(
  c: Context<Env_>,
  scope: EndpointScope = AGGREGATED,
  /** The request as another route's ingress already read it (routes/server-mcp-2026.ts). */
  read?: McpRequest,
): Promise<Response> {
  const raw = c.req.raw;
  if (raw.method === "POST" && !isJsonContentType(raw.headers.get("content-type"))) {
    return jsonRpcError(415, ErrorCode.InvalidRequest, "Unsupported Media Type: send application/json");
  }
  const { services, config } = c.var;
  const request =
    read ??
    (await McpRequest.read(raw, {
      principal: c.get("principal"),
      requestId: c.get("requestId") ?? crypto.randomUUID(),
      deps: { services, config, env: c.env, waitUntil: c.executionCtx },
      keepRequest: true,
    }));
  if (request.bodyError !== null) {
    const generation: Generation = request.sessionId === null ? "stateless" : "session";
    const exchange = exchangeFor(request, generation, scope);
    exchange.rejected(request.bodyError.code === ErrorCode.ParseError ? "parse_error" : "invalid_request");
    exchange.record();
    const { code, message, id } = request.bodyError;
    return jsonRpcError(400, code, message, { id });
  }
  const version = request.protocolVersion;
  if (version !== null && !SUPPORTED_VERSIONS.includes(version)) {
    return unsupportedVersionOf(request, version);
  }
  // A session client's plain request: where the SDK's classifier would put it is known (w7-sess).
  if (isPlainSessionRequest(request)) return serveSessionLeg(c.env, request, scope);
  // The steady state: a plain tools/call of a server's tool, answered without the SDK (direct-call.ts).
  const direct = scope.virtual === null ? directToolCall(request, scope.endpoint) : null;
  if (direct) return direct;
  if (carriesEnvelopeClaim(request.json) || (await request.generation()) === "stateless") {
    // The 2026-07-28 transport: Mcp-Method/Mcp-Name must match the body (400, -32020), as on /{path}/mcp.
    const headerProblem = request.body && checkStandardHeaders(request.http.headers, request.body);
    if (headerProblem) return jsonRpcReply(headerProblem, 400);
    return serveStateless(exchangeFor(request, "stateless", scope));
  }
  return serveSessionLeg(c.env, request, scope);
}

/**
 * A single JSON-RPC request (not `initialize`) whose `_meta` carries the
 * 2026-07-28 protocol-version claim. The SDK's classifier never routes such a
 * request to the session (legacy) leg: it is served, or refused, by the
 * modern path. Saying so here spares the classifier's envelope schema check
 * on the hot path; everything else still asks the classifier.
 */
function carriesEnvelopeClaim(json: unknown): boolean {
  if (!isPlainObject(json) || !("id" in json) || typeof json.method !== "string") return false;
  if (json.method === "initialize" || !isPlainObject(json.params)) return false;
  const meta = json.params._meta;
  return isPlainObject(meta) && typeof meta[PROTOCOL_VERSION_KEY] === "string";
}

/** -32022 echoing the request's id, offering the revisions `versionsOffered` names. */
function unsupportedVersionOf(request: McpRequest, version: string): Response {
  const first = request.body?.messages[0];
  const id = first && first.type === "request" ? first.message.id : null;
  return unsupportedVersion(version, versionsOffered(request.body), id);
}

function exchangeFor(request: McpRequest, generation: Generation, scope: EndpointScope): GatewayExchange {
  return new GatewayExchange({
    request,
    generation,
    endpoint: scope.endpoint,
    ...(scope.virtual && virtualExchange(scope.virtual)),
  });
}

/**
 * Session-based clients: `initialize` opens a session; every other request
 * names one. A plain tools/call of a session the object vouched for is served
 * here (aggregated/session-direct-call.ts); the rest by the session's object.
 */
async function serveSessionLeg(env: Env, request: McpRequest, scope: EndpointScope): Promise<Response> {
  const { sessionId } = request;
  const virtual = scope.sessionScope ?? scope.virtual?.name ?? null;
  if (sessionId === null) {
    const refusal = request.method === "POST" ? sessionlessRefusal(request) : MISSING_SESSION;
    if (refusal === null) {
      const id = randomHex(32);
      const stub = sessionStub(env, id);
      const response = await stub.open(request.snapshot(), id, virtual);
      // The ledger learns the new session from its object (for the session's later calls).
      if (response.status === 200 && virtual === null)
        refreshLedger(request, id, sessionContext(env, request, id));
      return response;
    }
    const exchange = exchangeFor(request, "session", scope);
    exchange.rejected(refusal.reason, refusal.method);
    exchange.record();
    return jsonRpcError(400, refusal.code, refusal.message);
  }
  if (!SESSION_ID.test(sessionId)) return sessionNotFound();
  if (request.method === "DELETE") {
    sessionLedger.evict(sessionId);
    const response = await sessionStub(env, sessionId).end(request.snapshot(), virtual);
    if (response.status === 204) sessionLedger.end(sessionId);
    return response;
  }
  // Only /mcp's own sessions are served in the Worker (a virtual server's go to its object).
  const context = virtual === null ? sessionContext(env, request, sessionId) : null;
  let needsObject = false;
  if (context) {
    const direct = sessionDirectCall(request, context);
    if (direct) {
      const answered = await direct;
      if (answered) return answered;
      // The call needs what only the object does (an upstream session to open): it learns, then tells.
      needsObject = true;
    } else if (cancelLocalCalls(request, context)) {
      return new Response(null, { status: 202 });
    }
  }
  // The stub only when the object is asked (a call served above needs none).
  const answer = sessionResponse(await sessionStub(env, sessionId).handle(request.snapshot(), virtual));
  if (context && (needsObject || sessionLedger.due(sessionId))) refreshLedger(request, sessionId, context);
  return answer;
}

/** How the Worker reaches session `sessionId`'s object for the caller of `request` (the ledger's questions). */
function sessionContext(env: Env, request: McpRequest, sessionId: string): SessionCallContext {
  const { principal } = request;
  return {
    ledger: sessionLedger,
    caller: callerKey(principal),
    endpoint: AGGREGATED.endpoint,
    vouch: () => sessionStub(env, sessionId).facts(principal, null),
    relayNotice: (serverPath, notice) =>
      sessionStub(env, sessionId).relayNotice(principal, null, serverPath, notice),
    adoptUpstream: (key, session, replaces) =>
      sessionStub(env, sessionId).adoptUpstream(principal, null, key, session, replaces),
  };
}

function refreshLedger(request: McpRequest, sessionId: string, context: SessionCallContext): void {
  request.deps.waitUntil.waitUntil(sessionLedger.refresh(sessionId, context.vouch));
}

interface Refusal {
  code: number;
  message: string;
  /** For the audit. */
  reason: string;
  method: string | null;
}

const MISSING_SESSION: Refusal = {
  code: ErrorCode.InvalidRequest,
  message: "Bad Request: Mcp-Session-Id header is required",
  reason: "no_session",
  method: null,
};

/** Null for an `initialize` request (it opens a session); otherwise why a session-less POST is refused. */
function sessionlessRefusal(request: McpRequest): Refusal | null {
  const body = request.body;
  const first = body?.messages[0];
  if (body && !body.batch && first !== undefined && isInitializeRequest(first.message)) return null;
  return { ...MISSING_SESSION, method: request.firstMethod() };
}
