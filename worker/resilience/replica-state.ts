// What this isolate knows about replicas: the cached circuit and health
// state of each server (at most UPSTREAM_STATE_CACHE_MS old, fail open; only
// finished loads are kept: concurrent misses each ask the object, because
// under workerd a request awaiting a load another request started would
// resume in that request's I/O context), its own observations of each replica (in flight,
// consecutive failures, local cool-down, half-open probe), and outcome
// reports to the ServerState object, sent only when they matter.
import { serverStateStub } from "../platform/durable-objects.ts";
import type { ServerRecord, UpstreamEndpoint } from "../store/registry-store.ts";
import { type Circuit, type CircuitSettings, phaseAt } from "./circuit-breaker.ts";
import type { LeaseOutcome, UpstreamLease, WaitUntil } from "./lease-contract.ts";
import type { ResilienceConfig } from "./settings.ts";
import { type OutcomeReport, type StateSnapshot, serverRef } from "./state-types.ts";

// --- isolate state ----------------------------------------------------------

interface CachedState {
  snapshot: ServerSnapshot;
  fetchedAt: number;
}

export type ServerSnapshot = StateSnapshot & { connectCheck: Record<string, boolean> };

/** What this isolate itself saw of one replica. */
export interface LocalReplica {
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

/** The next value of this isolate's rotation counter (round-robin and tie-breaks). */
export function nextRotation(): number {
  return rotation++;
}

const EMPTY_SNAPSHOT: ServerSnapshot = { circuits: {}, status: "unknown", connectCheck: {} };

/** Forgets everything this isolate cached (tests and benchmarks). */
export function resetResilienceCache(): void {
  states.clear();
  locals.clear();
  refreshing.clear();
  rotation = 0;
}

export function localOf(serverId: string, url: string): LocalReplica {
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

/** The server's state from the isolate cache; this request loads it itself when stale. */
export async function stateOf(
  env: Env,
  server: ServerRecord,
  config: ResilienceConfig,
): Promise<ServerSnapshot> {
  const cached = states.get(server.id);
  if (cached && Date.now() - cached.fetchedAt < config.stateCacheMs) return cached.snapshot;
  try {
    const snapshot = await stub(env, server.id).snapshot(serverRef(server));
    remember(server.id, snapshot);
    return snapshot;
  } catch (error) {
    // Fail open: without the object, keep the last known state rather than refuse traffic
    // (and do not ask again before the cache time has passed).
    console.error(
      JSON.stringify({
        level: "error",
        event: "server_state_unavailable",
        serverId: server.id,
        error: String(error),
      }),
    );
    const known = states.get(server.id)?.snapshot ?? EMPTY_SNAPSHOT;
    remember(server.id, known);
    return known;
  }
}

/** The server's state when this isolate's copy is fresh, else null (no load: the caller takes the full path). */
export function freshStateOf(serverId: string, config: ResilienceConfig, now: number): ServerSnapshot | null {
  const cached = states.get(serverId);
  return cached && now - cached.fetchedAt < config.stateCacheMs ? cached.snapshot : null;
}

// Servers whose state a request of this isolate is loading ahead, with when it started.
const refreshing = new Map<string, number>();

/**
 * Refresh-ahead for the steady state: once this isolate's copy is past half
 * its cache time, one request loads it again after its response
 * (`waitUntil`), while every request keeps using the copy, which is still
 * within `stateCacheMs`. Without it the copy went stale once a second and
 * every request arriving during the reload took the full path and asked the
 * object itself (a burst of snapshot calls and failover work under load,
 * issue 10). The load is awaited only by the request that started it; a
 * failed load keeps nothing (the copy then goes stale and the full path,
 * which fails open, takes over).
 */
export function refreshStateAhead(
  env: Env,
  ctx: WaitUntil,
  server: ServerRecord,
  config: ResilienceConfig,
  now: number,
): void {
  const cached = states.get(server.id);
  if (!cached || now - cached.fetchedAt < config.stateCacheMs / 2) return;
  const started = refreshing.get(server.id);
  if (started !== undefined && now - started < config.stateCacheMs) return;
  refreshing.set(server.id, now);
  const load = stub(env, server.id)
    .snapshot(serverRef(server))
    .then(
      (snapshot) => remember(server.id, snapshot),
      () => {},
    )
    .finally(() => refreshing.delete(server.id));
  ctx.waitUntil(load);
}

function remember(serverId: string, snapshot: ServerSnapshot): void {
  if (!states.has(serverId) && states.size >= MAX_CACHED_SERVERS) states.clear();
  states.set(serverId, { snapshot, fetchedAt: Date.now() });
}

export type Availability = { usable: true; probe: boolean } | { usable: false; retryAt: number };

export function availability(circuit: Circuit | undefined, local: LocalReplica, now: number): Availability {
  if (local.openUntil > now) return { usable: false, retryAt: local.openUntil };
  // A closed circuit (the steady state) needs no transition check (circuit-breaker.ts).
  const phase = circuit === undefined || circuit.phase === "closed" ? "closed" : phaseAt(circuit, now);
  if (phase === "closed") return { usable: true, probe: false };
  if (phase === "open") return { usable: false, retryAt: circuit?.retryAt ?? now + 1_000 };
  // Half-open: one probe at a time from this isolate; the rest wait for its verdict.
  if (local.probing) return { usable: false, retryAt: now + 1_000 };
  return { usable: true, probe: true };
}

/**
 * Applies an outcome to this isolate's view at once and reports it to the
 * ServerState object after the response. Successes are reported only when
 * they matter (a probe, or after reported failures), so a healthy server's
 * traffic causes no Durable Object requests at all.
 */
export function recordOutcome(
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
  const phase = cached === undefined || cached.phase === "closed" ? "closed" : phaseAt(cached, now);
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

/** A lease on `chosen`: counted in flight here until `done` reports its outcome (once). */
export function grantLease(
  env: Env,
  ctx: WaitUntil,
  server: ServerRecord,
  settings: CircuitSettings,
  chosen: { index: number; url: string; endpoint: UpstreamEndpoint },
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
