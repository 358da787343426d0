// The hot path of a session-based client (2025-era) of the aggregated
// endpoint: a lone `tools/call` is answered inside the McpSession object by
// the gateway's own handlers (gateway-handlers.ts: the same policy, catalog,
// pinning and upstream call) without building an SDK server and transport
// for the request. The answer is the SSE stream the SDK would write, on the
// session's resumable streams (session-streams.ts: priming event, event ids,
// shed and resumed like any other stream); what the call relays on the way
// (progress, upstream log messages, the upstream's requests to the client
// and the client's cancellation) goes through the session's relay on the
// same stream, as with the SDK's transport. The result is validated and the
// errors encoded as the SDK's server does for the 2025 revisions. Anything
// else (another method, a batch, params the SDK would have to refuse, a
// virtual server's own server) returns null and goes to the SDK
// (gateway-serving.ts).
import {
  DEFAULT_NEGOTIATED_PROTOCOL_VERSION,
  type JSONRPCMessage,
  ProtocolError,
  type ServerContext,
  SUPPORTED_PROTOCOL_VERSIONS,
  specTypeSchemas,
  type Transport,
} from "@modelcontextprotocol/server";
import type { McpRequest } from "../edge/ingress.ts";
import type { SessionAnswer } from "../platform/durable-objects.ts";
import { ErrorCode, type JsonRpcId } from "../protocol/jsonrpc.ts";
import { isPlainObject, isPlainToolResult } from "../protocol/tool-results.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { GatewayHandlers } from "./gateway-handlers.ts";
import type { SessionRelay } from "./session-relay.ts";
import type { SessionStream, SessionStreams } from "./session-streams.ts";

type Fields = Record<string, unknown>;

/** The members of a JSON-RPC request (the SDK's schema takes no other). */
const REQUEST_KEYS = new Set(["jsonrpc", "id", "method", "params"]);

/** The SDK 2025 codec answers the 2026 "resource not found" code as invalid params. */
const RESOURCE_NOT_FOUND = -32002;

interface PlainCall {
  id: JsonRpcId;
  name: string;
  args: Fields;
  meta: Fields | undefined;
}

export interface SessionCallDeps {
  streams: SessionStreams;
  relay: SessionRelay;
}

/** The answer to a plain tools/call of a session client, or null when the SDK must serve the request. */
export function sessionToolCall(
  exchange: GatewayExchange,
  deps: SessionCallDeps,
): Promise<SessionAnswer> | null {
  const call = exchange.createServer ? null : plainCall(exchange);
  return call && answer(exchange, call, deps);
}

/**
 * Whether the SDK's request classifier (`isLegacyRequest`, McpRequest.generation)
 * certainly puts `request` on the session leg, without running it (its schema
 * checks were ~2.7% of a session call's CPU, 3.2% with their garbage): a POST
 * in a session, one JSON-RPC request other than `initialize` with a string or
 * integer id, params absent or an object whose `_meta` holds at most a
 * progress token (so no envelope claim), and a 2025-era MCP-Protocol-Version
 * header or none (the classifier's "no-claim" legacy case: without a modern
 * header and without a claim, the classifier never looks further; a client
 * that leaves the header out is served as 2025-03-26 by the object, as the
 * spec says). Anything else is left to the classifier.
 */
export function isPlainSessionRequest(request: McpRequest): boolean {
  const version = request.protocolVersion;
  if (request.method !== "POST" || request.sessionId === null) return false;
  if (version !== null && version >= "2026-") return false;
  const body = request.body;
  if (request.bodyError !== null || !body || body.batch || body.messages.length !== 1) return false;
  const [first] = body.messages;
  if (first?.type !== "request" || first.method === "initialize") return false;
  // The SDK's request schema is strict: any other member (even `result`) makes the body no request.
  for (const key in first.message) if (!REQUEST_KEYS.has(key)) return false;
  const { id, params } = first.message;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return false;
  if (params === undefined) return true;
  return isPlainObject(params) && (params._meta === undefined || plainMeta(params._meta));
}

/** The call when the body is one well-formed tools/call the SDK would accept as is. */
function plainCall(exchange: GatewayExchange): PlainCall | null {
  const call = exchange.request.soleToolCall();
  if (!call) return null;
  // The SDK answers 406 to a client that does not take both.
  const accept = exchange.request.header("accept") ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return null;
  const { args, meta } = call;
  if (!isPlainObject(args) || (meta !== undefined && !plainMeta(meta))) return null;
  return { id: call.id, name: call.name, args, meta: meta as Fields | undefined };
}

/** `_meta` with at most a progress token (anything else is the SDK's to read). */
function plainMeta(meta: unknown): boolean {
  if (!isPlainObject(meta)) return false;
  const keys = Object.keys(meta);
  if (keys.some((key) => key !== "progressToken")) return false;
  const token = meta.progressToken;
  // The SDK's progress token is a string or an integer (a fractional one fails its request schema).
  return token === undefined || typeof token === "string" || Number.isSafeInteger(token);
}

function answer(exchange: GatewayExchange, call: PlainCall, deps: SessionCallDeps): Promise<SessionAnswer> {
  const { request } = exchange;
  const messages = request.body?.messages ?? [];
  exchange.expect(messages);
  const stream = deps.streams.open([call.id]);
  const abort = new AbortController();
  let release = () => {};
  const finished = () => {
    exchange.record();
    release();
    stream.end();
  };
  // JSON when the result comes first and soon, else the SSE stream (SessionStream.answer).
  const response = stream.answer(
    primes(request.protocolVersion),
    () => abort.abort(new ProtocolError(ErrorCode.InternalError, "the client went away")),
    // A shed stream's call goes on after the client's answer ended: audit once it is answered.
    () => {
      stream.postEnded().then(finished, finished);
    },
  );
  // The relay reaches the client on this stream while the call runs (session-relay.ts).
  release = deps.relay.serve(streamTransport(stream, call.id, abort), messages);
  run(exchange, call, stream, abort.signal).finally(() => stream.closePost());
  return response;
}

/** Calls the tool and writes its answer on the stream (nothing once the call was aborted, as the SDK). */
async function run(
  exchange: GatewayExchange,
  call: PlainCall,
  stream: SessionStream,
  signal: AbortSignal,
): Promise<void> {
  // What the handlers read of the SDK's request context.
  const ctx = {
    mcpReq: {
      id: call.id,
      method: "tools/call",
      signal,
      _meta: call.meta,
      envelope: undefined,
      requestState: () => undefined,
      inputResponses: undefined,
      notify: async (notification: { method: string; params?: Fields }) => {
        stream.send({ jsonrpc: "2.0", ...notification } as JSONRPCMessage);
      },
    },
  } as unknown as ServerContext;
  let reply: JSONRPCMessage;
  try {
    const result = await new GatewayHandlers(exchange).callTool(call.name, call.args, ctx);
    reply = { jsonrpc: "2.0", id: call.id, result: validatedResult(result) } as JSONRPCMessage;
  } catch (error) {
    reply = { jsonrpc: "2.0", id: call.id, error: encodedError(error) } as JSONRPCMessage;
  }
  if (signal.aborted) return;
  stream.send(reply);
}

/** As the SDK's tools/call wrapper: a content-less result gets `content: []`, then the result schema. */
export function validatedResult(result: unknown): Fields {
  const normalized =
    isPlainObject(result) && result.content === undefined ? { ...result, content: [] } : result;
  // Text blocks only, known keys of the right types: the schema takes it unchanged (tool-results.ts).
  if (isPlainObject(normalized) && isPlainToolResult(normalized) && fitsSessionSchema(normalized)) {
    return normalized;
  }
  const checked = specTypeSchemas.CallToolResult["~standard"].validate(normalized);
  if (checked.issues) {
    const problems = checked.issues.map((issue) => issue.message).join("; ");
    throw new ProtocolError(ErrorCode.InvalidParams, `Invalid tools/call result: ${problems}`);
  }
  return checked.value as Fields;
}

/** What the 2025 schema asks beyond `isPlainToolResult`: no 2026 `resultType`, an object `structuredContent`. */
function fitsSessionSchema(result: Fields): boolean {
  if (result.resultType !== undefined) return false;
  return result.structuredContent === undefined || isPlainObject(result.structuredContent);
}

/** A handler's failure as the SDK's server encodes it for the 2025 revisions. */
export function encodedError(error: unknown): Fields {
  const thrown = (error ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
  const code = Number.isSafeInteger(thrown.code) ? (thrown.code as number) : ErrorCode.InternalError;
  return {
    code: code === RESOURCE_NOT_FOUND ? ErrorCode.InvalidParams : code,
    message: typeof thrown.message === "string" ? thrown.message : "Internal error",
    ...(thrown.data !== undefined && { data: thrown.data }),
  };
}

/** Whether the answer opens with a priming event: the SDK's rule (a supported revision from 2025-11-25 on). */
function primes(header: string | null): boolean {
  const version = header ?? DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
  return SUPPORTED_PROTOCOL_VERSIONS.includes(version) && version >= "2025-11-25";
}

/**
 * What the session's relay needs of a transport: sending on the call's
 * stream, and the client's cancellation of the call (it aborts the call).
 */
function streamTransport(stream: SessionStream, id: JsonRpcId, abort: AbortController): Transport {
  return {
    start: async () => {},
    close: async () => {},
    send: async (message) => stream.send(message),
    onmessage: (message: JSONRPCMessage) => {
      const record = message as { method?: string; params?: { requestId?: JsonRpcId; reason?: unknown } };
      if (record.method !== "notifications/cancelled" || record.params?.requestId !== id) return;
      abort.abort(new ProtocolError(ErrorCode.InternalError, String(record.params.reason ?? "cancelled")));
    },
  } as Transport;
}
