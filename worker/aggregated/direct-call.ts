// The aggregated endpoint's steady state in one module: a stateless
// 2026-07-28 `tools/call` of `{server}__{tool}` that needs nothing the SDK's
// serving machinery adds (no progress to stream, no input request to bridge,
// no log level to relay, no request state to resume) is answered here, from
// the message the ingress already parsed, without a GatewayExchange, an SDK
// server or transport, the handlers' dispatch or the forward's relay, input
// bridge and result cache (none of which a plain call uses): the caller's
// cached call route (policy decided first, then the catalog, then tool
// pinning), one upstream call (upstream/upstream-call.ts), and the reply
// encoded as the SDK's 2026-07-28 encode seam does (`resultType`, the
// server's identity in `_meta`). Anything else (another method, a gateway or
// registry tool, a virtual server, a result the SDK might reshape) returns
// null or goes to the SDK (gateway-serving.ts). The shared stage pieces
// (`callServerTool`, the upstream answer and failure mapping, the lease
// context) live here too and are used by the SDK path's handlers
// (gateway-handlers.ts, gateway-forward.ts), so both paths decide alike.
// Measured: the SDK's per-request serving was the largest CPU item of a
// stateless call (docs/architecture.md, "Per-request inventory of /mcp").
import { type CallToolResult, createMcpHandler, ProtocolError, Server } from "@modelcontextprotocol/server";
import { type AuditNote, noteArguments } from "../edge/audit-trail.ts";
import type { McpRequest } from "../edge/ingress.ts";
import { ErrorCode, type JsonRpcId } from "../protocol/jsonrpc.ts";
import { jsonRpcReply } from "../protocol/replies.ts";
import { checkStandardHeaders } from "../protocol/standard-headers.ts";
import { isPlainObject, isPlainTextContent, isPlainToolResult } from "../protocol/tool-results.ts";
import { refusalData } from "../security/pinned-edge.ts";
import { checkCall } from "../security/pinning.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { type CallerCredentials, type SecretSource, secretsFromEnv } from "../upstream/egress.ts";
import {
  callUpstream,
  UpstreamCallError,
  type UpstreamCallResult,
  type UpstreamLeaseContext,
  type UpstreamRequest,
  type UpstreamSessionStore,
} from "../upstream/upstream-call.ts";
import type { UpstreamSessionLender } from "../upstream/upstream-pool.ts";
import { RELAYED_CAPABILITIES } from "../upstream/upstream-relay.ts";
import { type CallRoute, callRouteFor } from "./call-route.ts";
import { refused, unknownTool } from "./gateway-errors.ts";
import { BROADCAST_PREFIX, qualifyName, splitQualifiedName, wrapToolResultUris } from "./gateway-names.ts";
import { GATEWAY_SERVER_INFO } from "./gateway-server.ts";
import { withHintsFor } from "./result-cache.ts";

const ENVELOPE = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
} as const;
const ENVELOPE_KEYS = new Set<string>(Object.values(ENVELOPE));
const SERVER_INFO_KEY = "io.modelcontextprotocol/serverInfo";
const PROTOCOL_META_PREFIX = "io.modelcontextprotocol/";
const RESOURCE_NOT_FOUND = -32002;
const STATELESS = "stateless";
const JSON_HEADERS = { "content-type": "application/json" };
/** The reply's `_meta` when the upstream's holds nothing of its own (only serialized, never changed). */
const GATEWAY_META: Fields = { [SERVER_INFO_KEY]: GATEWAY_SERVER_INFO };

type Fields = Record<string, unknown>;

interface DirectCall {
  id: JsonRpcId;
  /** The server path and the upstream's tool name of `{server}__{tool}`. */
  target: ServerTool;
  args: Fields;
}

interface ServerTool {
  server: string;
  tool: string;
}

/**
 * The reply to a plain stateless tools/call of a server's tool on `endpoint`
 * (the aggregated one: never a virtual server's), or null when the SDK must
 * serve the request. Checks the standard headers against the body (400,
 * -32020) as the route does for every stateless request.
 */
export function directToolCall(request: McpRequest, endpoint: string): Promise<Response> | null {
  const call = plainToolCall(request);
  if (call === null) return null;
  const headerProblem = request.body && checkStandardHeaders(request.http.headers, request.body);
  if (headerProblem) return Promise.resolve(jsonRpcReply(headerProblem, 400));
  return answer(request, call, endpoint);
}

/** The call when the body is one tools/call of `{server}__{tool}` with a valid bare envelope and nothing else. */
function plainToolCall(request: McpRequest): DirectCall | null {
  const call = request.soleToolCall();
  if (!call) return null;
  const { args, meta: envelope } = call;
  if (!isPlainObject(args) || !isPlainObject(envelope)) return null;
  // A progress token, a log level or anything else in _meta needs the SDK's machinery.
  for (const key in envelope) if (!ENVELOPE_KEYS.has(key)) return null;
  const clientInfo = envelope[ENVELOPE.clientInfo];
  const capabilities = envelope[ENVELOPE.clientCapabilities];
  if (
    envelope[ENVELOPE.protocolVersion] !== request.protocolVersion ||
    !isPlainObject(clientInfo) ||
    typeof clientInfo.name !== "string" ||
    typeof clientInfo.version !== "string" ||
    !isPlainObject(capabilities) ||
    // A client that can answer input requests may need the input bridge (input-exchange.ts).
    bridgesInput(capabilities)
  ) {
    return null;
  }
  const target = serverToolOf(call.name);
  return target && { id: call.id, target, args };
}

/** As `relayedCapabilities(capabilities)` being non-empty (upstream-relay.ts): an object under a relayed name. */
function bridgesInput(capabilities: Fields): boolean {
  for (const name of RELAYED_CAPABILITIES) {
    const value = capabilities[name];
    if (typeof value === "object" && value !== null) return true;
  }
  return false;
}

/**
 * `{server}__{tool}` read once per name and isolate (gateway-names.ts); null
 * for the gateway's own tools (broadcast, registry tools) and any other name,
 * which the SDK path answers. Names come from clients: bounded, cleared when full.
 */
const serverTools = new Map<string, ServerTool | null>();
const MAX_SERVER_TOOLS = 1_000;

export function serverToolOf(name: string): ServerTool | null {
  let target = serverTools.get(name);
  if (target === undefined) {
    const split = name.startsWith(BROADCAST_PREFIX) ? null : splitQualifiedName(name);
    target = split && { server: split.server, tool: split.name };
    if (serverTools.size >= MAX_SERVER_TOOLS) serverTools.clear();
    serverTools.set(name, target);
  }
  return target;
}

async function answer(request: McpRequest, call: DirectCall, endpoint: string): Promise<Response> {
  const { audit } = request;
  audit.setContext({ endpoint, generation: STATELESS });
  audit.expect(request.body?.messages ?? []);
  const note = audit.note(call.id);
  const { server: path, tool } = call.target;
  let reply: Fields;
  try {
    const upstream = await callServerTool(request, path, tool, call.args, call.id, note, (server, req) =>
      forwardPlain(request, server, req, note),
    );
    const result = plainReply(upstream) ?? generalReply(upstream);
    // A result the SDK's schema might reshape or refuse (URIs wrapped first) is encoded by the SDK itself.
    if (result === null) return encodedBySdk(request, answerFields(STATELESS, upstream), path);
    reply = { jsonrpc: "2.0", id: call.id, result };
  } catch (error) {
    reply = { jsonrpc: "2.0", id: call.id, error: rpcError(error) };
  }
  // The reply is complete: its audit event needs no watch on the body going out.
  audit.record();
  return new Response(JSON.stringify(reply), { status: 200, headers: JSON_HEADERS });
}

/**
 * `{server}__{tool}` (and invoke_tool's target) for the caller of `request`:
 * policy first, then the catalog, then tool pinning, then `forward`; the
 * audit note gets the server, tool, decision and arguments. Returns the
 * upstream's answer as `upstreamAnswer` made it (URIs not wrapped yet).
 */
export async function callServerTool(
  request: McpRequest,
  path: string,
  tool: string,
  args: Fields,
  id: JsonRpcId,
  note: AuditNote,
  forward: (server: ServerRecord, upstream: UpstreamRequest) => Promise<Fields>,
): Promise<Fields> {
  note.serverPath = path;
  note.tool = tool;
  const route = await callRouteOf(request, path);
  const decision = route.guard.decide("tools/call", tool);
  request.audit.decided(id, decision);
  if (!decision.allow) throw refused(decision.reason);

  const { target } = route;
  if (!target) throw unknownTool(qualifyName(path, tool));
  const { server } = target;
  note.serverId = server.id;
  noteArguments(note, server.auditArguments, args);
  if (!target.tools.has(tool)) throw unknownTool(qualifyName(path, tool));
  // Tool pinning (issue 14): held tools and undeclared arguments never reach the upstream.
  const pinned = checkCall(target.pins, tool, args);
  if (!pinned.allow) throw new ProtocolError(ErrorCode.Forbidden, pinned.message, refusalData(pinned));
  return forward(server, { method: "tools/call", params: { name: tool, arguments: pinned.arguments } });
}

/** Policy, server, tool catalog and pins of this caller on `path` in one cached route (call-route.ts). */
export function callRouteOf(request: McpRequest, path: string): Promise<CallRoute> {
  const { deps, principal } = request;
  return request.observedPolicy(() => callRouteFor(deps.services, principal, path));
}

/** A plain call's upstream leg: no relay, no input bridge, nothing cacheable (tools/call). The upstream's result as sent. */
async function forwardPlain(
  request: McpRequest,
  server: ServerRecord,
  upstream: UpstreamRequest,
  note: AuditNote,
): Promise<Fields> {
  const { deps } = request;
  try {
    const outcome = await callUpstream(server, upstream, {
      secrets: secretsOf(deps.env),
      lease: upstreamLease(request),
      fetch: deps.services.egress.fetch,
      signal: request.signal,
      defer: (work) => deps.waitUntil.waitUntil(work.catch(() => {})),
    });
    noteOutcome(outcome, note);
    return outcome.result;
  } catch (error) {
    throw upstreamFailure(error, note);
  }
}

/**
 * The reply's result for the upstream's `result` the general way (as
 * gateway-forward.ts answers it: protocol fields out, hints kept), when the
 * SDK's 2026-07-28 schema takes it unchanged; null when the SDK must encode it.
 */
export function generalReply(upstream: Fields): Fields | null {
  const result = answerFields(STATELESS, upstream);
  const complete = result.content === undefined ? { ...result, content: [] } : result;
  return isPlainToolResult(complete) ? encodedResult(complete) : null;
}

/**
 * In one pass, the reply's result for the upstream's `result` when the SDK's
 * 2026-07-28 schema takes it unchanged (text blocks only, tool-results.ts)
 * and no caching hint is kept: what `answerFields`, `isPlainToolResult` and
 * `encodedResult` make of it, without their three copies. Null: anything
 * else, for the general way.
 */
export function plainReply(result: Fields): Fields | null {
  if (typeof result.ttlMs === "number") return null;
  const out: Fields = {};
  let meta: Fields | null = null;
  let hasContent = false;
  for (const key in result) {
    const value = result[key];
    switch (key) {
      case "content":
        if (!isPlainTextContent(value)) return null;
        hasContent = true;
        out.content = value;
        break;
      case "structuredContent":
        out.structuredContent = value;
        break;
      case "isError":
        if (typeof value !== "boolean") return null;
        out.isError = value;
        break;
      case "resultType":
      case "ttlMs":
      case "cacheScope":
        // The upstream revision's fields: the gateway's own server sets its own.
        break;
      case "_meta":
        if (!isPlainObject(value)) return null;
        for (const metaKey in value) {
          if (metaKey.startsWith(PROTOCOL_META_PREFIX)) continue;
          meta ??= {};
          meta[metaKey] = value[metaKey];
        }
        // Where the upstream put it (the key order the general way keeps).
        if (meta !== null) out._meta = meta;
        break;
      default:
        return null;
    }
  }
  if (!hasContent) out.content = [];
  out.resultType = "complete";
  if (meta === null) out._meta = GATEWAY_META;
  else meta[SERVER_INFO_KEY] = GATEWAY_SERVER_INFO;
  return out;
}

const secretSources = new WeakMap<object, SecretSource>();

/** The egress secrets of the Worker's environment, made once per environment object. */
export function secretsOf(env: object): SecretSource {
  let secrets = secretSources.get(env);
  if (secrets === undefined) {
    secrets = secretsFromEnv(env);
    secretSources.set(env, secrets);
  }
  return secrets;
}

/**
 * What upstream calls need to lease replicas (load balancing, circuits, rate
 * limits), for the caller of `request`. Its pool view and caller credentials
 * are made only when a call asks for them (a 2026 upstream needs no pooled
 * session, a server without per-user egress no caller token). Without
 * `upstreamSessions` (a client session's), sessions come from the isolate's pool.
 */
export function upstreamLease(
  request: McpRequest,
  upstreamSessions?: UpstreamSessionStore,
): UpstreamLeaseContext {
  const { deps, principal } = request;
  let sessionPool: UpstreamSessionLender | undefined;
  let credentials: CallerCredentials | undefined;
  return {
    resilience: { env: deps.env, settings: deps.config.resilience },
    waitUntil: deps.waitUntil,
    principal,
    get sessionPool() {
      if (upstreamSessions) return undefined;
      sessionPool ??= deps.services.upstreamPool.forCaller(principal);
      return sessionPool;
    },
    // Per-user (oauth) egress: the caller's own tokens; "connect" links point at this gateway.
    get credentials() {
      credentials ??= deps.services.connections.callerCredentials(
        deps.config.publicUrl ?? new URL(request.http.url).origin,
      );
      return credentials;
    },
  };
}

/**
 * The upstream's answer as the gateway's own server returns it: the audit
 * note gets the upstream status and a tool error; the upstream revision's
 * protocol fields go (the gateway's server sets its own), a 2026-07-28
 * caller keeps valid caching hints (result-cache.ts).
 */
export function upstreamAnswer(
  generation: "stateless" | "session",
  outcome: Pick<UpstreamCallResult, "result" | "upstreamStatus">,
  note: AuditNote,
): Fields {
  noteOutcome(outcome, note);
  return answerFields(generation, outcome.result);
}

function noteOutcome(outcome: Pick<UpstreamCallResult, "result" | "upstreamStatus">, note: AuditNote): void {
  note.upstreamStatus = outcome.upstreamStatus;
  if (outcome.result.isError === true) note.outcome = "tool_error";
}

function answerFields(generation: "stateless" | "session", result: Fields): Fields {
  const answer = withoutProtocolFields(result);
  // Hints need a numeric ttlMs (result-cache.ts cacheHintsOf).
  return typeof result.ttlMs === "number" ? withHintsFor(generation, result, answer) : answer;
}

/** Fields the upstream's protocol revision put on its result; the gateway's own server sets them for its caller. */
function withoutProtocolFields(result: Fields): Fields {
  const meta = result._meta;
  const hasMeta = typeof meta === "object" && meta !== null;
  if (!hasMeta && !("resultType" in result) && !("ttlMs" in result) && !("cacheScope" in result)) {
    return result;
  }
  const { resultType: _resultType, ttlMs: _ttlMs, cacheScope: _cacheScope, ...rest } = result;
  if (hasMeta) {
    let kept: Fields | null = null;
    let dropped = false;
    for (const key in meta as Fields) {
      if (key.startsWith(PROTOCOL_META_PREFIX)) dropped = true;
      else {
        kept ??= {};
        kept[key] = (meta as Fields)[key];
      }
    }
    if (kept === null) delete rest._meta;
    else if (dropped || Array.isArray(meta)) rest._meta = kept;
  }
  return rest;
}

/** An upstream call's failure as the caller sees it (a JSON-RPC error); the audit note gets the outcome. */
export function upstreamFailure(error: unknown, note: AuditNote): unknown {
  if (!(error instanceof UpstreamCallError)) return error;
  note.upstreamStatus = error.upstreamStatus;
  note.outcome = OUTCOME[error.failure];
  return asProtocolError(error);
}

const OUTCOME: Record<UpstreamCallError["failure"], string> = {
  rejected: "upstream_error",
  unavailable: "upstream_error",
  misconfigured: "error",
  timeout: "timeout",
  cancelled: "cancelled",
  refused: "refused",
};

function asProtocolError(error: UpstreamCallError): ProtocolError {
  switch (error.failure) {
    case "rejected":
      return new ProtocolError(
        error.rpc?.code ?? ErrorCode.InternalError,
        error.rpc?.message ?? error.reason,
        error.rpc?.data,
      );
    case "timeout":
      return new ProtocolError(ErrorCode.UpstreamTimeout, error.reason);
    case "refused":
      return new ProtocolError(
        error.rpc?.code ?? ErrorCode.UpstreamUnavailable,
        error.reason,
        error.rpc?.data,
      );
    case "cancelled":
      return new ProtocolError(ErrorCode.InternalError, error.reason);
    default:
      return new ProtocolError(ErrorCode.UpstreamUnavailable, error.reason);
  }
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
 * The call's result (URIs wrapped, as the handlers do) answered by the SDK's
 * own 2026-07-28 serving, as the full path would answer it (its schema check,
 * its encoding); the upstream call is not repeated: the one-off server hands
 * back the result already obtained.
 */
async function encodedBySdk(request: McpRequest, result: Fields, path: string): Promise<Response> {
  const wrapped = wrapToolResultUris(path, result);
  const server = new Server(GATEWAY_SERVER_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler("tools/call", async () => wrapped as CallToolResult);
  const handler = createMcpHandler(() => server, {
    legacy: "reject",
    maxRequestBodySize: request.deps.config.maxBodyBytes,
  });
  const response = await handler.fetch(
    request.http,
    request.json !== undefined ? { parsedBody: request.json } : undefined,
  );
  // The result was complete before the SDK encoded it.
  request.audit.record();
  return response;
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
