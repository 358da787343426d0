// Sends one request of the aggregated endpoint (tools/call, resources/read,
// prompts/get) to a registered server, as an MCP client in the server's own
// protocol generation: the server's egress credential (never the caller's),
// its timeout, a replica leased from the resilience layer (load balancing,
// circuit breakers, the per-server rate limit) with failover while a replica
// provably never received the request, progress passed back as it arrives,
// and, inside a client session, the upstream session reused from one call to
// the next.

import { type PriorDiscovery, ProtocolError, SdkError, SdkErrorCode } from "@modelcontextprotocol/client";
import type { Principal } from "../auth/principal.ts";
import { tracedFetch } from "../observability/hooks.ts";
import { type ExchangeDeadline, exchangeDeadline } from "../platform/deadline.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { isIdempotentMethod, type UpstreamMethod } from "../protocol/methods.ts";
import {
  type AttemptResult,
  isLeaseRefusal,
  type UpstreamLease,
  type WaitUntil,
  withFailover,
} from "../resilience/lease.ts";
import type { ResilienceDeps } from "../resilience/settings.ts";
import { onSoleReplica } from "../resilience/sole-replica.ts";
import type { ServerRecord, UpstreamEndpoint } from "../store/registry-store.ts";
import { DirectConversation, directRoute, NOTHING_TO_CLOSE } from "./direct-exchange.ts";
import {
  applyEgress,
  type CallerCredentials,
  ConnectionRequiredError,
  callerSecrets,
  connectionRequiredRpc,
  MissingSecretError,
  type SecretSource,
} from "./egress.ts";
import { sessionHandshakeFirst, sessionHandshakeRefused } from "./session-handshake.ts";
import { type Negotiation, UpstreamConnection, type UpstreamSession } from "./upstream-client.ts";
import { brief, explainFailure, isMalformedAnswer } from "./upstream-failure.ts";
import { credentialKey, type UpstreamSessionLender } from "./upstream-pool.ts";
import type { UpstreamRelay } from "./upstream-relay.ts";

export type { UpstreamMethod };

export interface UpstreamRequest {
  method: UpstreamMethod;
  params: Record<string, unknown>;
}

export interface UpstreamProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** Where a client session keeps the upstream sessions it opened (the McpSession Durable Object). */
export interface UpstreamSessionStore {
  get(key: string): UpstreamSession | undefined;
  /** Returns false when another call stored a session for `key` first (then close yours). */
  claim(key: string, session: UpstreamSession): boolean;
  delete(key: string): void;
}

/** Who calls, and where the resilience layer keeps its state. */
export interface UpstreamLeaseContext {
  resilience: ResilienceDeps;
  waitUntil: WaitUntil;
  principal: Principal;
  /**
   * The isolate's upstream session pool as this caller sees it
   * (upstream-pool.ts), for callers without a client session.
   */
  sessionPool?: UpstreamSessionLender;
  /** The caller's own upstream tokens, for servers with per-user (`oauth`) egress. */
  credentials?: CallerCredentials;
}

export interface UpstreamCallContext {
  secrets: SecretSource;
  lease: UpstreamLeaseContext;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Cancellation by the caller (client went away, broadcast deadline). */
  signal?: AbortSignal;
  onProgress?: (progress: UpstreamProgress) => void;
  /** The upstream's requests to the client and its notifications, bridged to the caller (upstream-relay.ts). */
  relay?: UpstreamRelay;
  /** Present inside a client session: upstream sessions are kept and reused. */
  sessions?: UpstreamSessionStore;
  /** Runs cleanup after the response (ctx.waitUntil); awaited inline when absent. */
  defer?: (work: Promise<unknown>) => void;
}

export interface UpstreamCallResult {
  result: Record<string, unknown>;
  /** The replica that answered. */
  endpoint: string;
  /** HTTP status of the answer that carried the result. */
  upstreamStatus: number | null;
}

export type UpstreamCallFailure =
  /** The upstream answered with a JSON-RPC error: relayed as is. */
  | "rejected"
  | "unavailable"
  | "timeout"
  | "cancelled"
  /** The server's record cannot be used (a missing egress secret). */
  | "misconfigured"
  /** No replica may be used now: open circuits, or the caller's rate limit. */
  | "refused";

export class UpstreamCallError extends Error {
  override readonly name = "UpstreamCallError";
  constructor(
    readonly failure: UpstreamCallFailure,
    /** Safe to show to the caller. */
    readonly reason: string,
    readonly upstreamStatus: number | null = null,
    /** The upstream's own JSON-RPC error, for `rejected`. */
    readonly rpc?: { code: number; message: string; data?: unknown },
  ) {
    super(reason);
  }
}

/** Protocol generation per upstream URL, learnt on first contact, so later calls skip the probe. */
const verdicts = new Map<string, PriorDiscovery>();
const MAX_VERDICTS = 1_000;

export async function callUpstream(
  server: ServerRecord,
  request: UpstreamRequest,
  context: UpstreamCallContext,
): Promise<UpstreamCallResult> {
  // On the request's own timer when it has one (edge/hang-up.ts): no timer of its own per call,
  // and one signal for the deadline and the caller's cancellation.
  const timeout = exchangeDeadline(server.timeoutMs, context.signal);
  const signals: Signals = { deadline: timeout, combined: timeout.signal };
  try {
    const { resilience, waitUntil, principal } = context.lease;
    // Per-user egress binds the caller's own token in; every other server uses the exchange's secrets.
    if (server.egress?.type === "oauth")
      context = { ...context, secrets: await secretsForCaller(server, context) };
    const attempt = async (lease: UpstreamLease): Promise<AttemptResult<Attempt>> => {
      const started = Date.now();
      const tried = await callReplica(server, lease.endpoint, request, context, signals, true);
      const latencyMs = Date.now() - started;
      if (tried.ok) return { value: tried, ok: true, reachedUpstream: true, latencyMs };
      // Only a transport failure, a 5xx or a timeout counts against the replica's circuit: an
      // answer (a JSON-RPC error, a tool error, a 4xx, a result we cannot read), a cancellation
      // or our own misconfiguration says nothing bad about the replica.
      const replicaFailed = tried.error.failure === "timeout" || tried.replicaFault === true;
      return {
        value: tried,
        ok: !replicaFailed,
        reachedUpstream: !tried.neverReached || signals.combined.aborted,
        latencyMs,
        reason: tried.error.reason,
      };
    };
    // The steady state (one replica, no limit, closed circuit) in one module, as on /{path}/mcp;
    // anything else takes the full permit path with failover.
    const outcome =
      (await onSoleReplica(resilience, waitUntil, server, {}, attempt)) ??
      (await withFailover<Attempt>(
        resilience,
        waitUntil,
        server,
        // Identity limits are charged once per /mcp request by the route; each call charges the server's.
        { principal, method: request.method, rateLimit: "server" },
        attempt,
      ));
    if (isLeaseRefusal(outcome)) {
      throw new UpstreamCallError("refused", `server "${server.path}": ${outcome.message}`, null, {
        code: outcome.refused === "rate_limited" ? ErrorCode.RateLimited : ErrorCode.UpstreamUnavailable,
        message: outcome.message,
        data: { reason: outcome.refused, retryAfterMs: outcome.retryAfterMs },
      });
    }
    if (outcome.value.ok) return outcome.value.value;
    throw outcome.value.error;
  } finally {
    timeout.clear();
  }
}

/** The caller's own token bound in for per-user egress; an unconnected caller is refused with the connect URL. */
async function secretsForCaller(server: ServerRecord, context: UpstreamCallContext): Promise<SecretSource> {
  try {
    return await callerSecrets(server, context.lease.principal, context.secrets, context.lease.credentials);
  } catch (error) {
    if (!(error instanceof ConnectionRequiredError)) throw error;
    throw new UpstreamCallError("refused", error.message, null, connectionRequiredRpc(error));
  }
}

interface Signals {
  deadline: ExchangeDeadline;
  /** The deadline or the caller's cancellation, whichever comes first. */
  combined: AbortSignal;
}

type Attempt =
  | { ok: true; value: UpstreamCallResult }
  | { ok: false; error: UpstreamCallError; neverReached: boolean; replicaFault?: boolean };

async function callReplica(
  server: ServerRecord,
  endpoint: UpstreamEndpoint,
  request: UpstreamRequest,
  context: UpstreamCallContext,
  signals: Signals,
  mayResume: boolean,
): Promise<Attempt> {
  const signal = signals.combined;
  let egress: { url: string; headers: Record<string, string> };
  try {
    egress = applyEgress(endpoint.url, server.egress, context.secrets);
  } catch (error) {
    if (!(error instanceof MissingSecretError)) throw error;
    // Every replica shares the credential: trying the next one would not help.
    const reason = `server "${server.path}" is misconfigured: its egress credential is not available`;
    return { ok: false, error: new UpstreamCallError("misconfigured", reason), neverReached: false };
  }

  const verdict = negotiationFor(endpoint);
  // A 2026-07-28 upstream keeps no sessions: nothing to lend, keep or key (no credential digest).
  const stateless = typeof verdict === "object" && verdict.kind === "modern" && !context.sessions;
  const kept = stateless ? null : await keptSessions(server, endpoint, egress, context);
  const resume = mayResume ? kept?.lend() : undefined;
  // A client session speaks the session generation to an upstream that has both (session-handshake.ts).
  // (Only a client session asks: a stateless call never reaches session-handshake.ts.)
  const handshakeFirst =
    !resume && context.sessions !== undefined && sessionHandshakeFirst(endpoint.url, true);
  const negotiation = handshakeFirst ? "legacy" : verdict;
  // A plain call in a known generation skips the SDK client unless the answer needs it (direct-exchange.ts).
  // A client session's calls too: what its relay carries is never a plain answer (handed over to the SDK).
  const route =
    endpoint.transport === "streamable-http" &&
    (!context.relay || context.sessions !== undefined) &&
    !context.onProgress &&
    !handshakeFirst
      ? directRoute(request, negotiation, resume)
      : null;
  const traced = tracedFetchFor(server, context.fetch ?? fetch);
  const sdkConnection = (fetchFn: typeof fetch) =>
    new UpstreamConnection(
      { url: egress.url, transport: endpoint.transport, headers: egress.headers },
      {
        signal,
        negotiation,
        fetch: fetchFn,
        ...(resume && { resume }),
        ...(context.relay && { relay: context.relay }),
        ...(route?.era === "session" && { idBase: route.idBase }),
      },
    );
  const connection = route
    ? new DirectConversation(egress, route, {
        signal,
        fetch: traced,
        handover: sdkConnection,
        ...(context.relay && { capabilities: context.relay.capabilities }),
      })
    : sdkConnection(traced);
  let phase = resume ? request.method : "initialize";
  let keepSession = false;
  try {
    // A direct call's generation is known and its session resumed: nothing to connect or learn.
    if (!route) {
      await connection.connect({ signal, timeout: server.timeoutMs });
      if (!handshakeFirst) remember(endpoint, connection.verdict());
    }
    phase = request.method;
    const result = await connection.request(
      { method: request.method, params: request.params },
      {
        signal,
        timeout: server.timeoutMs,
        ...(context.onProgress && { onprogress: context.onProgress }),
      },
    );
    keepSession = kept?.keep(resume ?? connection.session()) ?? false;
    return {
      ok: true,
      value: { result, endpoint: endpoint.url, upstreamStatus: connection.observed.lastPostStatus ?? null },
    };
  } catch (error) {
    const status = connection.observed.lastPostStatus ?? null;
    // A JSON-RPC error the upstream answered within its session leaves the session usable.
    const answered = error instanceof ProtocolError && phase === request.method && (status ?? 500) < 300;
    if (answered && !signal.aborted) keepSession = kept?.keep(resume ?? connection.session()) ?? false;
    else if (resume) {
      kept?.forget();
      // Once, on a new session: after a 404 the upstream has forgotten the session and did not
      // process the request (so even a tools/call goes again); after a lost connection it may
      // have, so only a method that does no harm twice goes again (protocol/methods.ts).
      const lost = lostConnection(error, status, connection.observed.connectionFailed);
      if (!signal.aborted && (status === 404 || (lost && isIdempotentMethod(request.method)))) {
        return callReplica(server, endpoint, request, context, signals, false);
      }
    }
    if (handshakeFirst && phase === "initialize" && !signal.aborted && refusedHandshake(error, status)) {
      sessionHandshakeRefused(endpoint.url);
      return callReplica(server, endpoint, request, context, signals, mayResume);
    }
    if (context.signal?.aborted) {
      return {
        ok: false,
        error: new UpstreamCallError("cancelled", "the request was cancelled"),
        neverReached: false,
      };
    }
    if (signals.deadline.expired) {
      const reason = `upstream server "${server.path}" did not answer within ${server.timeoutMs} ms (during ${phase})`;
      return { ok: false, error: new UpstreamCallError("timeout", reason, status), neverReached: false };
    }
    if (error instanceof ProtocolError) {
      const rpc = {
        code: error.code,
        message: error.message,
        ...(error.data !== undefined && { data: error.data }),
      };
      const reason = `upstream server "${server.path}" returned an error: ${brief(error.message)}`;
      return {
        ok: false,
        error: new UpstreamCallError("rejected", reason, status, rpc),
        neverReached: false,
      };
    }
    // The upstream may have changed generation: probe again next time.
    verdicts.delete(endpoint.url);
    const explained = explainFailure(error, phase, connection.observed.failure);
    const reason = `upstream server "${server.path}" is unavailable: ${explained}`;
    // Only a failure before the request was sent proves that this replica never saw it.
    const neverReached = phase === "initialize";
    const replicaFault = transportFailed(error, status, connection.observed.connectionFailed);
    return {
      ok: false,
      error: new UpstreamCallError("unavailable", reason, status),
      neverReached,
      replicaFault,
    };
  } finally {
    const closing = connection.close(!keepSession);
    // A direct call with nothing to end (a 2026-07-28 upstream) defers nothing (no waitUntil per call).
    if (closing !== NOTHING_TO_CLOSE) {
      if (context.defer) context.defer(closing);
      else await closing;
    }
  }
}

/** The fetch with trace context and upstream latency (observability/hooks.ts), made once per server record and fetch. */
const tracedFetches = new WeakMap<ServerRecord, { base: typeof fetch; traced: typeof fetch }>();

function tracedFetchFor(server: ServerRecord, base: typeof fetch): typeof fetch {
  const known = tracedFetches.get(server);
  if (known?.base === base) return known.traced;
  const traced = tracedFetch(base, { tenant: server.tenant, server: server.path });
  tracedFetches.set(server, { base, traced });
  return traced;
}

/**
 * Whether the replica itself failed: no HTTP answer, a 5xx, or a connection
 * cut mid-answer. A 4xx refusal or an answer the SDK cannot use (a malformed
 * or unsupported result, e.g. an input_required the gateway cannot fulfil
 * yet) is the replica answering, and never opens its circuit.
 */
function transportFailed(error: unknown, status: number | null, connectionFailed: boolean): boolean {
  if (connectionFailed || status === null || status >= 500) return true;
  if (isMalformedAnswer(error)) return false;
  return error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed;
}

/**
 * The connection to the upstream was reset or cut: no HTTP answer, or the
 * answer's stream ended before the response. Not an answer (a status, a
 * JSON-RPC error, a result the SDK cannot read).
 */
function lostConnection(error: unknown, status: number | null, connectionFailed: boolean): boolean {
  if (connectionFailed || status === null) return true;
  return error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed;
}

/** Where a call finds an upstream session to resume, and keeps the one it used. */
interface KeptSessions {
  lend(): UpstreamSession | undefined;
  /** After a successful call; false when the session must be ended instead. */
  keep(session: UpstreamSession | null): boolean;
  /** The lent session failed: never lend it again. */
  forget(): void;
}

/**
 * The client session's store (shared by its calls, McpSession Durable
 * Object), else the isolate pool (lent to one call at a time, keyed also by
 * the credential sent), else nothing: the call opens and ends its own.
 */
async function keptSessions(
  server: ServerRecord,
  endpoint: UpstreamEndpoint,
  egress: { url: string; headers: Record<string, string> },
  context: UpstreamCallContext,
): Promise<KeptSessions | null> {
  if (endpoint.transport !== "streamable-http") return null;
  const key = `${server.id} ${endpoint.url}`;
  const store = context.sessions;
  if (store) {
    let lent: UpstreamSession | undefined;
    return {
      lend: () => {
        lent = store.get(key);
        return lent;
      },
      keep: (session) => session !== null && (session === lent || store.claim(key, session)),
      forget: () => store.delete(key),
    };
  }
  const pool = context.lease.sessionPool;
  if (!pool) return null;
  const pooledKey = `${key} ${await credentialKey(egress, endpoint.url)}`;
  return {
    lend: () => pool.lend(pooledKey),
    keep: (session) => session !== null && pool.giveBack(pooledKey, session),
    // A lent session is out of the pool already.
    forget: () => {},
  };
}

/** The upstream answered the 2025 `initialize` with an error (it speaks only 2026-07-28), not a transport failure. */
function refusedHandshake(error: unknown, status: number | null): boolean {
  return error instanceof ProtocolError || (status !== null && status >= 400 && status < 500);
}

function negotiationFor(endpoint: UpstreamEndpoint): Negotiation {
  return verdicts.get(endpoint.url) ?? "auto";
}

function remember(endpoint: UpstreamEndpoint, verdict: PriorDiscovery | null): void {
  if (verdict === null || verdicts.has(endpoint.url)) return;
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(endpoint.url, verdict);
}
