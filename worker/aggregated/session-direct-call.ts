// A session-based (2025-era) client's plain `tools/call` of `{server}__{tool}`
// on /mcp, served in the Worker instead of the session's McpSession object:
// the same policy, catalog, pinning, upstream call, result check, errors and
// audit event as the object's path (session-call.ts), with the facts the
// object vouched for (session-ledger.ts: the owner, the negotiated version,
// the upstream sessions it keeps, which this call resumes). The object is
// not on the critical path; it stays the authority (the ledger's bounds).
//
// Which calls (everything else goes to the object, which serves it as before):
// - one JSON-RPC request, `tools/call` of `{server}__{tool}` (not a gateway
//   or registry tool), object arguments, no `_meta` at all (a progress token
//   needs the object's relay to stream progress), an Accept of both JSON and
//   SSE, the negotiated MCP-Protocol-Version (or none), on `/mcp` itself;
// - a session the object vouched for within 5 s, owned by the caller (another
//   identity is sent to the object, which answers 404 as today), whose client
//   declared no capability the relay bridges (elicitation, sampling, roots):
//   then no upstream may ask the client anything during the call, so nothing
//   needs the object's relay to reach the client and come back;
// - every replica of the server either has the session's upstream session
//   (resumed, as the object would) or does not take the 2025 handshake. A
//   server the session has not reached yet goes to the object (it opens the
//   upstream session; the next refresh brings it here). When the resumed
//   upstream session fails (404, lost) the call opens another as the object
//   would, and hands it to the object to keep (`adoptUpstream`), so every
//   upstream session of the client session is the object's to end.
// What the upstream sends on its own during a call is still relayed: its log
// messages go out on the call's answer (an SSE stream from the first one, as
// the object's answer becomes one), other notifications (list changes,
// resource updates) to the object's standalone stream (`relayNotice`). The
// client's `notifications/cancelled` reaches a call served here when it lands
// in this isolate (`cancelLocalCalls`); the answer is then no result, as
// the SDK does. Not kept here: a stream the client can resume after a
// disconnect (the object's answers from its 1 s window on): a call served
// here is answered as it ends, as JSON unless a log message came first.
import type { McpRequest } from "../edge/ingress.ts";
import type { SessionFacts, SessionNotice } from "../platform/durable-objects.ts";
import type { ClassifiedMessage, JsonRpcId } from "../protocol/jsonrpc.ts";
import { formatSseEvent } from "../protocol/sse.ts";
import { isPlainObject } from "../protocol/tool-results.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { sessionHandshakeFirst } from "../upstream/session-handshake.ts";
import { callUpstream, type UpstreamRequest, type UpstreamSessionStore } from "../upstream/upstream-call.ts";
import type { UpstreamSession } from "../upstream/upstream-client.ts";
import type { UpstreamRelay } from "../upstream/upstream-relay.ts";
import {
  callServerTool,
  secretsOf,
  serverToolOf,
  upstreamAnswer,
  upstreamFailure,
  upstreamLease,
} from "./direct-call.ts";
import { wrapToolResultUris } from "./gateway-names.ts";
import { encodedError, validatedResult } from "./session-call.ts";
import type { SessionLedger } from "./session-ledger.ts";

type Fields = Record<string, unknown>;

const SESSION = "session";
const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};
const encoder = new TextEncoder();

/** What the route gives a session call: the ledger, the caller's key, and the way to the session's object. */
export interface SessionCallContext {
  ledger: SessionLedger;
  /** callerKey of the request's principal (the key the object's owner is compared with). */
  caller: string;
  /** The endpoint's path, for the audit. */
  endpoint: string;
  /** Asks the object for the session's facts (the ledger's refresh). */
  vouch(): Promise<SessionFacts | null>;
  /** Hands an upstream's notification to the object's standalone stream. */
  relayNotice(serverPath: string, notice: SessionNotice): Promise<void>;
  /** Hands the object an upstream session opened here in place of a failed one (`McpSession.adoptUpstream`). */
  adoptUpstream(key: string, session: UpstreamSession, replaces: string | null): Promise<boolean>;
}

/** Thrown by the upstream leg when the object must serve the call (nothing was sent upstream). */
class ObjectNeeded extends Error {}

/** Calls served in this isolate, by `{session} {request id as JSON}`: the client's cancellation aborts them. */
const inFlight = new Map<string, AbortController>();

function callKey(sessionId: string, id: JsonRpcId): string {
  return `${sessionId} ${JSON.stringify(id)}`;
}

/**
 * The session facts that let the Worker serve `request` of its session, or
 * null (the object serves it). A request that uses facts past their refresh
 * age has them refreshed in `waitUntil`.
 */
function vouchedFacts(request: McpRequest, context: SessionCallContext): SessionFacts | null {
  const sessionId = request.sessionId;
  if (sessionId === null) return null;
  const entry = context.ledger.current(sessionId);
  if (entry === null || entry.facts.owner !== context.caller) return null;
  if (context.ledger.due(sessionId)) {
    request.deps.waitUntil.waitUntil(context.ledger.refresh(sessionId, context.vouch));
  }
  return entry.facts;
}

/**
 * The answer to a plain tools/call of the session (above), or null when the
 * object must serve the request; the promise resolves to null too when the
 * call turns out to need the object before anything was sent upstream.
 */
export function sessionDirectCall(
  request: McpRequest,
  context: SessionCallContext,
): Promise<Response | null> | null {
  const call = request.soleToolCall();
  if (!call || call.meta !== undefined || !isPlainObject(call.args)) return null;
  const accept = request.header("accept") ?? "";
  // The object (the SDK's rule) answers 406 to a client that does not take both.
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) return null;
  const target = serverToolOf(call.name);
  if (target === null) return null;
  const facts = vouchedFacts(request, context);
  if (facts === null || facts.virtual !== null || facts.bridges) return null;
  const version = request.protocolVersion;
  if (version !== null && version !== facts.protocolVersion) return null;
  return serve(request, context, facts, { id: call.id, name: call.name, args: call.args, ...target });
}

interface Call {
  id: JsonRpcId;
  name: string;
  args: Fields;
  server: string;
  tool: string;
}

async function serve(
  request: McpRequest,
  context: SessionCallContext,
  facts: SessionFacts,
  call: Call,
): Promise<Response | null> {
  const sessionId = request.sessionId as string;
  const { audit } = request;
  audit.setContext({ endpoint: context.endpoint, generation: SESSION, session: sessionId.slice(0, 8) });
  audit.expect(request.body?.messages ?? []);
  const note = audit.note(call.id);
  note.tool = call.name;
  const abort = new AbortController();
  const key = callKey(sessionId, call.id);
  inFlight.set(key, abort);
  const answer = new CallAnswer();
  const relay: UpstreamRelay = {
    // The client declared none (`facts.bridges`): the upstream is offered none, as by the object.
    capabilities: {},
    request: () => Promise.reject(new Error("the client cannot answer requests")),
    notify: (notice) => {
      if (notice.method === "notifications/message") answer.event({ jsonrpc: "2.0", ...notice });
      else request.deps.waitUntil.waitUntil(context.relayNotice(call.server, notice).catch(() => {}));
    },
  };
  const work = (async (): Promise<Fields | null> => {
    try {
      const result = await callServerTool(
        request,
        call.server,
        call.tool,
        call.args,
        call.id,
        note,
        (server, upstream) => forward(request, context, facts, server, upstream, note, relay, abort.signal),
      );
      if (abort.signal.aborted) return null;
      const wrapped = wrapToolResultUris(call.server, result);
      return { jsonrpc: "2.0", id: call.id, result: validatedResult(wrapped) };
    } catch (error) {
      if (error instanceof ObjectNeeded) throw error;
      // As the SDK: nothing is answered to a request the client cancelled.
      if (abort.signal.aborted) return null;
      return { jsonrpc: "2.0", id: call.id, error: encodedError(error) };
    } finally {
      inFlight.delete(key);
    }
  })();
  try {
    return await answer.settle(
      work.then((reply) => {
        audit.record();
        return reply;
      }),
    );
  } catch (error) {
    if (error instanceof ObjectNeeded) return null;
    throw error;
  }
}

/** The upstream leg: the session's upstream session resumed, as `forwardUpstream` does in the object. */
async function forward(
  request: McpRequest,
  context: SessionCallContext,
  facts: SessionFacts,
  server: ServerRecord,
  upstream: UpstreamRequest,
  note: Parameters<typeof upstreamAnswer>[2],
  relay: UpstreamRelay,
  signal: AbortSignal,
): Promise<Fields> {
  const sessionId = request.sessionId as string;
  for (const endpoint of server.endpoints) {
    if (endpoint.transport !== "streamable-http") continue;
    const key = `${server.id} ${endpoint.url}`;
    if (!(key in facts.upstream) && sessionHandshakeFirst(endpoint.url, true)) throw new ObjectNeeded();
  }
  // The upstream session the lent one replaces, when it failed (404, lost) and the call opened another.
  let failed: string | null = null;
  const store: UpstreamSessionStore = {
    get: (key) => facts.upstream[key],
    // The object keeps the new session (and ends it with the session; if it refuses, it ends it).
    claim: (key, session) => {
      context.ledger.useUpstream(sessionId, key, session);
      request.deps.waitUntil.waitUntil(context.adoptUpstream(key, session, failed).catch(() => false));
      return true;
    },
    delete: (key) => {
      failed = facts.upstream[key]?.sessionId ?? null;
      context.ledger.forgetUpstream(sessionId, key);
    },
  };
  const { deps } = request;
  try {
    const outcome = await callUpstream(server, upstream, {
      secrets: secretsOf(deps.env),
      lease: upstreamLease(request, store),
      fetch: deps.services.egress.fetch,
      signal,
      relay,
      sessions: store,
      defer: (work) => deps.waitUntil.waitUntil(work.catch(() => {})),
    });
    return upstreamAnswer(SESSION, outcome, note);
  } catch (error) {
    throw upstreamFailure(error, note);
  }
}

/**
 * The HTTP answer of one call: the reply as one JSON body, or an SSE stream
 * from the first message that comes before it (log messages), ending with the
 * reply; a cancelled call's stream ends without one.
 */
class CallAnswer {
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private commit: ((response: Response) => void) | null = null;
  private readonly committed = new Promise<Response>((resolve) => {
    this.commit = resolve;
  });

  /** A message before the reply: the answer becomes (or stays) an SSE stream. */
  event(message: Fields): void {
    this.write(this.stream(), message);
  }

  /** The response: JSON when `reply` comes first, else the stream, which `reply` ends. */
  settle(reply: Promise<Fields | null>): Promise<Response> {
    const replied = reply.then(
      (message) => {
        if (this.writer === null && message !== null) {
          return new Response(JSON.stringify(message), { status: 200, headers: JSON_HEADERS });
        }
        // A cancelled call's answer is a stream without a reply (the object's too).
        const writer = this.stream();
        if (message !== null) this.write(writer, message);
        writer.close().catch(() => {});
        return this.committed;
      },
      (error) => {
        if (this.writer === null) throw error;
        this.writer.abort(error).catch(() => {});
        return this.committed;
      },
    );
    return Promise.race([this.committed, replied]);
  }

  private stream(): WritableStreamDefaultWriter<Uint8Array> {
    if (this.writer === null) {
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      this.writer = writable.getWriter();
      this.commit?.(new Response(readable, { status: 200, headers: SSE_HEADERS }));
    }
    return this.writer;
  }

  private write(writer: WritableStreamDefaultWriter<Uint8Array>, message: Fields): void {
    const frame = formatSseEvent({ data: JSON.stringify(message), comments: [] });
    writer.write(encoder.encode(frame)).catch(() => {});
  }
}

/**
 * A session POST of notifications only: aborts the calls of this isolate the
 * client's `notifications/cancelled` names, when the caller owns the session
 * (the ledger's facts). True when every message was such a cancellation, so
 * nothing is left for the object; false sends the body to the object too.
 */
export function cancelLocalCalls(request: McpRequest, context: SessionCallContext): boolean {
  const sessionId = request.sessionId;
  const messages = request.body?.messages;
  if (sessionId === null || !messages || messages.length === 0 || request.bodyError !== null) return false;
  if (!messages.every((message) => message.type === "notification")) return false;
  const facts = vouchedFacts(request, context);
  if (facts === null) return false;
  let all = true;
  for (const message of messages) {
    const controller = cancelled(sessionId, message);
    if (controller) controller.abort(new Error("cancelled by the client"));
    else all = false;
  }
  return all;
}

function cancelled(sessionId: string, message: ClassifiedMessage): AbortController | undefined {
  if (message.type !== "notification" || message.method !== "notifications/cancelled") return undefined;
  const id = message.message.params?.requestId;
  if (typeof id !== "string" && typeof id !== "number") return undefined;
  return inFlight.get(callKey(sessionId, id));
}
