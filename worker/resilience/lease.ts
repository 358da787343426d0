// The permit path: the ONLY way MCP proxies pick a replica. `leaseUpstream`
// charges rate limits, consults the circuit state of the server's replicas,
// chooses one by the server's strategy and hands out a lease whose `done`
// reports the outcome. `withFailover` wraps an attempt so that a request that
// provably never reached a replica goes to another one.
//
// Hot path: circuit and health state come from an isolate cache (at most
// UPSTREAM_STATE_CACHE_MS old, one shared load when stale); outcomes go to the
// ServerState object through `waitUntil`, and only failures and recoveries are
// reported at all. A request pays a Durable Object round trip only for a
// configured rate limit (exact counting needs it) or a stale cache.
// Trade-offs: docs/architecture.md "Resilience".

import type { Principal } from "../auth/principal.ts";
import { serverStateStub } from "../platform/durable-objects.ts";
import { ErrorCode, errorResponse, type JsonRpcId, type JsonRpcResponse } from "../protocol/jsonrpc.ts";
import { isIdempotentMethod } from "../protocol/methods.ts";
import type { ServerRecord, Transport, UpstreamEndpoint } from "../store/registry-store.ts";
import {
  type Candidate,
  pickConsistentHash,
  pickLeastConnections,
  pickRandom,
  pickRoundRobin,
  pickWeighted,
} from "./balancer.ts";
import { type Circuit, type CircuitSettings, phaseAt } from "./circuit-breaker.ts";
import { checkConnect } from "./connect-check.ts";
import { chargeRateLimits, identityKey, type RateLimitCharge, rateLimitHeaders } from "./rate-limit.ts";
import { effectiveCircuit, type ResilienceConfig, type ResilienceDeps } from "./settings.ts";
import { type OutcomeReport, type StateSnapshot, serverRef } from "./state-types.ts";

export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface LeaseOutcome {
  /** False for connection failures, timeouts, HTTP 5xx and cut or malformed answers. */
  ok: boolean;
  /** False only when the request provably never left for the upstream. */
  reachedUpstream: boolean;
  latencyMs: number;
  /** Why it failed, safe to show (kept with the circuit). */
  reason?: string;
}

export interface UpstreamLease {
  endpoint: UpstreamEndpoint;
  endpointIndex: number;
  /** RateLimit headers to add to the response (empty when no limit applies). */
  headers: Record<string, string>;
  /** Report once, when the upstream exchange is over (later calls are ignored). */
  done(outcome: LeaseOutcome): void;
}

export type LeaseRefusal = {
  refused: "circuit_open" | "no_replica" | "rate_limited";
  retryAfterMs: number;
  message: string;
  /** Retry-After and RateLimit headers for the refusal. */
  headers: Record<string, string>;
};

export interface LeaseOptions {
  principal: Principal;
  /** The session (or other key) consistent hashing uses when the server hashes on `session`. */
  affinityKey?: string;
  /** Only replicas of this transport. */
  transport?: Transport;
  /** Indexes of replicas not to use (those already tried). */
  exclude?: number[];
  /** An upstream session lives on this replica (its URL): lease exactly it, or refuse. */
  pinnedUrl?: string;
  /** The JSON-RPC method(s) about to be sent; decides whether a connect check is needed. */
  method?: string | string[];
  /** Which rate limits this lease charges (default all; failover retries charge none). */
  rateLimit?: RateLimitCharge;
}

export function isLeaseRefusal(value: UpstreamLease | LeaseRefusal | unknown): value is LeaseRefusal {
  return typeof value === "object" && value !== null && "refused" in value;
}

// --- isolate state ----------------------------------------------------------

interface CachedState {
  snapshot: ServerSnapshot;
  fetchedAt: number;
  loading: Promise<ServerSnapshot> | null;
}

type ServerSnapshot = StateSnapshot & { connectCheck: Record<string, boolean> };

/** What this isolate itself saw of one replica. */
interface LocalReplica {
  inFlight: number;
  /** A half-open probe of this isolate is under way. */
  probing: boolean;
  /** Consecutive failures seen here. */
  failures: number;
  /** Opened here (without waiting for the object) until this epoch ms. */
  openUntil: number;
  /** Failures were reported, so the next success must be reported too (it resets the count). */
  owesSuccess: boolean;
}

const MAX_CACHED_SERVERS = 5_000;
const states = new Map<string, CachedState>();
const locals = new Map<string, LocalReplica>();
let rotation = 0;

const EMPTY_SNAPSHOT: ServerSnapshot = { circuits: {}, status: "unknown", connectCheck: {} };

/** Forgets everything this isolate cached (tests and benchmarks). */
export function resetResilienceCache(): void {
  states.clear();
  locals.clear();
  rotation = 0;
}

function localOf(serverId: string, url: string): LocalReplica {
  const key = `${serverId}\u0000${url}`;
  let local = locals.get(key);
  if (!local) {
    if (locals.size >= MAX_CACHED_SERVERS * 4) locals.clear();
    local = { inFlight: 0, probing: false, failures: 0, openUntil: 0, owesSuccess: false };
    locals.set(key, local);
  }
  return local;
}

function stub(env: Env, serverId: string) {
  return serverStateStub(env, serverId);
}

/** The server's state from the isolate cache; loads it (once for all waiting requests) when stale. */
async function stateOf(env: Env, server: ServerRecord, config: ResilienceConfig): Promise<ServerSnapshot> {
  const now = Date.now();
  const cached = states.get(server.id);
  if (cached && now - cached.fetchedAt < config.stateCacheMs) return cached.snapshot;
  if (cached?.loading) return cached.loading;
  const entry: CachedState = cached ?? { snapshot: EMPTY_SNAPSHOT, fetchedAt: 0, loading: null };
  const loading = stub(env, server.id)
    .snapshot(serverRef(server))
    .then((snapshot) => {
      remember(server.id, snapshot);
      return snapshot;
    })
    .catch((error: unknown) => {
      // Fail open: without the object, keep the last known state rather than refuse traffic.
      console.error(
        JSON.stringify({
          level: "error",
          event: "server_state_unavailable",
          serverId: server.id,
          error: String(error),
        }),
      );
      entry.loading = null;
      entry.fetchedAt = Date.now();
      return entry.snapshot;
    });
  entry.loading = loading;
  if (!cached) {
    if (states.size >= MAX_CACHED_SERVERS) states.clear();
    states.set(server.id, entry);
  }
  return loading;
}

function remember(serverId: string, snapshot: ServerSnapshot): void {
  states.set(serverId, { snapshot, fetchedAt: Date.now(), loading: null });
}

// --- choosing ---------------------------------------------------------------

type Availability = { usable: true; probe: boolean } | { usable: false; retryAt: number };

function availability(circuit: Circuit | undefined, local: LocalReplica, now: number): Availability {
  if (local.openUntil > now) return { usable: false, retryAt: local.openUntil };
  const phase = circuit ? phaseAt(circuit, now) : "closed";
  if (phase === "closed") return { usable: true, probe: false };
  if (phase === "open") return { usable: false, retryAt: circuit?.retryAt ?? now + 1_000 };
  // Half-open: one probe at a time from this isolate; the rest wait for its verdict.
  if (local.probing) return { usable: false, retryAt: now + 1_000 };
  return { usable: true, probe: true };
}

interface Choice extends Candidate {
  endpoint: UpstreamEndpoint;
}

function choose(server: ServerRecord, candidates: Choice[], options: LeaseOptions): Choice {
  const counter = rotation++;
  switch (server.loadBalancing.strategy) {
    case "round-robin":
      return pickRoundRobin(candidates, counter);
    case "random":
      return pickRandom(candidates, Math.random);
    case "least-connections":
      return pickLeastConnections(candidates, (choice) => localOf(server.id, choice.url).inFlight, counter);
    case "consistent-hash": {
      const key =
        server.loadBalancing.hashOn === "session" && options.affinityKey
          ? options.affinityKey
          : identityKey(options.principal);
      return pickConsistentHash(candidates, key);
    }
    default:
      return pickWeighted(candidates, Math.random);
  }
}

// --- the lease --------------------------------------------------------------

export async function leaseUpstream(
  deps: ResilienceDeps,
  ctx: WaitUntil,
  server: ServerRecord,
  options: LeaseOptions,
): Promise<UpstreamLease | LeaseRefusal> {
  const { env, settings: config } = deps;
  const excluded = new Set(options.exclude ?? []);
  let candidates: Choice[] = server.endpoints
    .map((endpoint, index) => ({ index, url: endpoint.url, weight: endpoint.weight, endpoint }))
    .filter((choice) => !excluded.has(choice.index))
    .filter((choice) => options.transport === undefined || choice.endpoint.transport === options.transport);
  if (options.pinnedUrl !== undefined)
    candidates = candidates.filter((choice) => choice.url === options.pinnedUrl);
  if (candidates.length === 0) {
    return refusal("no_replica", 0, noReplicaMessage(server, options), {});
  }

  const [limits, snapshot] = await Promise.all([
    chargeRateLimits(deps, options.principal, {
      server,
      charge: options.rateLimit ?? "all",
      waitUntil: (work) => ctx.waitUntil(work),
    }),
    stateOf(env, server, config),
  ]);
  const limitHeaders = rateLimitHeaders(limits);
  if (!limits.allowed) {
    const message = `Rate limit exceeded (${limits.scope}); retry in ${Math.ceil(limits.retryAfterMs / 1000)} s`;
    return refusal("rate_limited", limits.retryAfterMs, message, limitHeaders);
  }

  const settings = effectiveCircuit(server, config);
  const needsProof =
    config.connectCheck === "always" ||
    (config.connectCheck === "non-idempotent" &&
      !isIdempotentMethod(options.method) &&
      candidates.length > 1);
  let earliestRetry = Number.POSITIVE_INFINITY;
  for (;;) {
    const now = Date.now();
    const usable: { choice: Choice; probe: boolean }[] = [];
    for (const choice of candidates) {
      const state = availability(snapshot.circuits[choice.url], localOf(server.id, choice.url), now);
      if (state.usable) usable.push({ choice, probe: state.probe });
      else earliestRetry = Math.min(earliestRetry, state.retryAt);
    }
    if (usable.length === 0) {
      const retryAfterMs = Number.isFinite(earliestRetry) ? Math.max(0, earliestRetry - now) : 1_000;
      const message = `Upstream server "${server.path}" is unavailable: every replica's circuit is open; retry in ${Math.ceil(retryAfterMs / 1000)} s`;
      return refusal("circuit_open", retryAfterMs, message, {
        ...limitHeaders,
        "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      });
    }
    const chosen = choose(
      server,
      usable.map((entry) => entry.choice),
      options,
    );
    const probe = usable.find((entry) => entry.choice === chosen)?.probe ?? false;
    const local = localOf(server.id, chosen.url);
    if (needsProof && snapshot.connectCheck[chosen.url] === true) {
      const startedAt = Date.now();
      if ((await checkConnect(chosen.url, config.connectCheckTimeoutMs)) === "refused") {
        // Provably never sent: count it against the replica and choose again among the others.
        recordOutcome(env, ctx, server, settings, chosen.url, local, {
          ok: false,
          reachedUpstream: false,
          latencyMs: Date.now() - startedAt,
          reason: "connection refused",
        });
        candidates = candidates.filter((choice) => choice !== chosen);
        if (candidates.length === 0) {
          return refusal(
            "no_replica",
            1_000,
            `No replica of "${server.path}" accepted a connection`,
            limitHeaders,
          );
        }
        continue;
      }
    }
    return grant(env, ctx, server, settings, chosen, local, probe, limitHeaders);
  }
}

function grant(
  env: Env,
  ctx: WaitUntil,
  server: ServerRecord,
  settings: CircuitSettings,
  chosen: Choice,
  local: LocalReplica,
  probe: boolean,
  headers: Record<string, string>,
): UpstreamLease {
  local.inFlight += 1;
  if (probe) local.probing = true;
  let reported = false;
  return {
    endpoint: chosen.endpoint,
    endpointIndex: chosen.index,
    headers,
    done(outcome) {
      if (reported) return;
      reported = true;
      local.inFlight = Math.max(0, local.inFlight - 1);
      if (probe) local.probing = false;
      recordOutcome(env, ctx, server, settings, chosen.url, local, outcome, probe);
    },
  };
}

/**
 * Applies an outcome to this isolate's view at once and reports it to the
 * ServerState object after the response. Successes are reported only when
 * they matter (a probe, or after reported failures), so a healthy server's
 * traffic causes no Durable Object requests at all.
 */
function recordOutcome(
  env: Env,
  ctx: WaitUntil,
  server: ServerRecord,
  settings: CircuitSettings,
  url: string,
  local: LocalReplica,
  outcome: LeaseOutcome,
  probe = false,
): void {
  const now = Date.now();
  const cached = states.get(server.id)?.snapshot.circuits[url];
  const phase = cached ? phaseAt(cached, now) : "closed";
  if (outcome.ok) {
    local.failures = 0;
    local.openUntil = 0;
    const mustReport = probe || local.owesSuccess || phase !== "closed";
    local.owesSuccess = false;
    if (!mustReport) return;
  } else {
    local.failures += 1;
    local.owesSuccess = true;
    if (probe || local.failures >= settings.failureThreshold) {
      local.openUntil = now + settings.cooldownMs;
      local.failures = 0;
    }
  }
  const report: OutcomeReport = {
    url,
    ok: outcome.ok,
    reachedUpstream: outcome.reachedUpstream,
    latencyMs: outcome.latencyMs,
    at: now,
    ...(outcome.reason !== undefined && { reason: outcome.reason }),
  };
  ctx.waitUntil(
    stub(env, server.id)
      .report(serverRef(server), { settings, outcomes: [report] })
      .then((snapshot) => remember(server.id, snapshot))
      .catch((error: unknown) => {
        console.error(
          JSON.stringify({
            level: "error",
            event: "outcome_report_failed",
            serverId: server.id,
            error: String(error),
          }),
        );
      }),
  );
}

function refusal(
  refused: LeaseRefusal["refused"],
  retryAfterMs: number,
  message: string,
  headers: Record<string, string>,
): LeaseRefusal {
  return { refused, retryAfterMs, message, headers };
}

function noReplicaMessage(server: ServerRecord, options: LeaseOptions): string {
  if (options.pinnedUrl !== undefined)
    return `The replica holding this session is no longer part of "${server.path}"`;
  if (options.transport !== undefined && !server.endpoints.some((e) => e.transport === options.transport)) {
    return `Server "${server.path}" has no ${options.transport} replica`;
  }
  return `No replica of "${server.path}" is left to try`;
}

// --- failover ---------------------------------------------------------------

export interface AttemptResult<T> {
  value: T;
  ok: boolean;
  /** False only when the request provably never left for the upstream. */
  reachedUpstream: boolean;
  latencyMs: number;
  reason?: string;
  /**
   * For answers that go on after the attempt returns (an SSE stream): the
   * outcome once the stream has ended or broken. The lease is reported then,
   * instead of with `ok` above (which still decides failover).
   */
  settled?: Promise<LeaseOutcome>;
}

export interface FailoverOptions extends LeaseOptions {
  /**
   * Retry on another replica even after the request may have reached one.
   * Defaults to true for idempotent methods (see isIdempotentMethod), never for tools/call.
   */
  retryIfReached?: boolean;
}

/**
 * Runs `attempt` on a leased replica; when it fails without having reached
 * the upstream (or, for idempotent requests, fails at all), leases another
 * replica and tries again. Rate limits are charged once. Returns the last
 * attempt's value with its lease, or the refusal when no attempt could start.
 */
export async function withFailover<T>(
  deps: ResilienceDeps,
  ctx: WaitUntil,
  server: ServerRecord,
  options: FailoverOptions,
  attempt: (lease: UpstreamLease) => Promise<AttemptResult<T>>,
): Promise<{ value: T; lease: UpstreamLease; attempts: number } | LeaseRefusal> {
  const retryIfReached = options.retryIfReached ?? isIdempotentMethod(options.method);
  const exclude = [...(options.exclude ?? [])];
  let last: { value: T; lease: UpstreamLease; attempts: number } | null = null;
  let headers: Record<string, string> | null = null;
  for (let attempts = 1; attempts <= server.endpoints.length; attempts++) {
    const lease = await leaseUpstream(deps, ctx, server, {
      ...options,
      exclude,
      rateLimit: attempts === 1 ? (options.rateLimit ?? "all") : "none",
    });
    if (isLeaseRefusal(lease)) return last ?? lease;
    // Later leases charge nothing, so the first one's RateLimit headers stand.
    headers ??= lease.headers;
    const leased: UpstreamLease = { ...lease, headers };
    let result: AttemptResult<T>;
    try {
      result = await attempt(leased);
    } catch (error) {
      lease.done({ ok: false, reachedUpstream: true, latencyMs: 0, reason: "the attempt failed" });
      throw error;
    }
    if (result.settled) {
      result.settled.then(
        (outcome) => lease.done(outcome),
        () =>
          lease.done({
            ok: false,
            reachedUpstream: true,
            latencyMs: result.latencyMs,
            reason: "stream failed",
          }),
      );
    } else {
      lease.done({
        ok: result.ok,
        reachedUpstream: result.reachedUpstream,
        latencyMs: result.latencyMs,
        ...(result.reason !== undefined && { reason: result.reason }),
      });
    }
    last = { value: result.value, lease: leased, attempts };
    if (result.ok) return last;
    if (result.reachedUpstream && !retryIfReached) return last;
    exclude.push(lease.endpointIndex);
  }
  if (last) return last;
  return refusal("no_replica", 0, `No replica of "${server.path}" is left to try`, {});
}

// --- answering a refusal ----------------------------------------------------

/**
 * The JSON-RPC error for a refusal on an MCP route: RateLimited (HTTP 429) or
 * UpstreamUnavailable (HTTP 503), with Retry-After and RateLimit headers and
 * `data.retryAfterMs`.
 */
export function refusalToJsonRpc(
  refusal: LeaseRefusal,
  id: JsonRpcId | null,
): { body: JsonRpcResponse; status: number; headers: Headers } {
  const rateLimited = refusal.refused === "rate_limited";
  const code = rateLimited ? ErrorCode.RateLimited : ErrorCode.UpstreamUnavailable;
  const headers = new Headers(refusal.headers);
  if (!headers.has("retry-after")) {
    headers.set("retry-after", String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000))));
  }
  return {
    body: errorResponse(id, code, refusal.message, {
      reason: refusal.refused,
      retryAfterMs: refusal.retryAfterMs,
    }),
    status: rateLimited ? 429 : 503,
    headers,
  };
}

/** Statuses with which Cloudflare's edge says the origin was never reached (refused, TCP timeout, unreachable, DNS). */
export const NEVER_REACHED_STATUSES: ReadonlySet<number> = new Set([521, 522, 523, 530]);
