// The steady state of the permit path, in one module: a server with exactly
// one replica, no rate limit configured, no connect check wanted, and this
// isolate's fresh copy of its state showing the circuit closed. Then there
// is nothing to choose, charge, probe or fail over to: the replica is
// leased, the attempt runs, and its outcome is reported (a streamed answer
// when its stream ends). Anything else returns null and the caller takes the
// full path (failover.ts `withFailover`, lease-upstream.ts), which this
// module never calls.
import type { ServerRecord } from "../store/registry-store.ts";
import type { CircuitSettings } from "./circuit-breaker.ts";
import type { AttemptResult, LeaseOptions, UpstreamLease, WaitUntil } from "./lease-contract.ts";
import { availability, freshStateOf, grantLease, localOf, refreshStateAhead } from "./replica-state.ts";
import { anyRateLimit, effectiveCircuit, type ResilienceConfig, type ResilienceDeps } from "./settings.ts";

/** What the steady state looks at (a subset of LeaseOptions). */
export type SoleReplicaOptions = Pick<LeaseOptions, "transport" | "pinnedUrl">;

/**
 * Runs `attempt` on the server's only replica when the steady state holds;
 * null when it does not (nothing was leased or charged then).
 */
export async function onSoleReplica<T>(
  deps: ResilienceDeps,
  ctx: WaitUntil,
  server: ServerRecord,
  options: SoleReplicaOptions,
  attempt: (lease: UpstreamLease) => Promise<AttemptResult<T>>,
): Promise<{ value: T; lease: UpstreamLease } | null> {
  const lease = leaseSole(deps, ctx, server, options);
  if (lease === null) return null;
  const result = await attemptOn(lease, attempt);
  return { value: result.value, lease };
}

/**
 * Runs `attempt` with `answeredWith` (the lease itself unless the caller
 * answers with another view of it) and reports its outcome on `lease` (a
 * throw counts as a failure, then propagates).
 */
export async function attemptOn<T>(
  lease: UpstreamLease,
  attempt: (lease: UpstreamLease) => Promise<AttemptResult<T>>,
  answeredWith: UpstreamLease = lease,
): Promise<AttemptResult<T>> {
  let result: AttemptResult<T>;
  try {
    result = await attempt(answeredWith);
  } catch (error) {
    lease.done({ ok: false, reachedUpstream: true, latencyMs: 0, reason: "the attempt failed" });
    throw error;
  }
  reportAttempt(lease, result);
  return result;
}

function leaseSole(
  deps: ResilienceDeps,
  ctx: WaitUntil,
  server: ServerRecord,
  options: SoleReplicaOptions,
): UpstreamLease | null {
  const { settings } = deps;
  const [endpoint] = server.endpoints;
  if (server.endpoints.length !== 1 || endpoint === undefined) return null;
  if (options.transport !== undefined && endpoint.transport !== options.transport) return null;
  if (options.pinnedUrl !== undefined && endpoint.url !== options.pinnedUrl) return null;
  // A connect check is only ever wanted with another replica to turn to, unless it is always on.
  if (settings.connectCheck === "always") return null;
  const effective = effectiveOf(server, settings);
  if (effective.limited) return null;
  const now = Date.now();
  const snapshot = freshStateOf(server.id, settings, now);
  if (snapshot === null) return null;
  const local = localOf(server.id, endpoint.url);
  const state = availability(snapshot.circuits[endpoint.url], local, now);
  // Open or half-open: the full path answers (refusal with Retry-After, or the probe).
  if (!state.usable || state.probe) return null;
  refreshStateAhead(deps.env, ctx, server, settings, now);
  const chosen = { index: 0, url: endpoint.url, endpoint };
  return grantLease(deps.env, ctx, server, effective.circuit, chosen, local, false, {});
}

/** A server's effective circuit settings and whether a rate limit applies, worked out once per record. */
interface Effective {
  settings: ResilienceConfig;
  circuit: CircuitSettings;
  limited: boolean;
}

// Server records are cached and shared (registry/server-directory.ts), so a steady request finds its
// server's effective settings here instead of merging them again (settings.ts is off the walk).
const effectiveByServer = new WeakMap<ServerRecord, Effective>();

function effectiveOf(server: ServerRecord, settings: ResilienceConfig): Effective {
  const known = effectiveByServer.get(server);
  if (known !== undefined && known.settings === settings) return known;
  const effective = {
    settings,
    circuit: effectiveCircuit(server, settings),
    limited: anyRateLimit(server, settings),
  };
  effectiveByServer.set(server, effective);
  return effective;
}

/**
 * Reports an attempt's outcome on its lease: at once, or, for an answer that
 * goes on (an SSE stream), once it has ended or broken.
 */
function reportAttempt<T>(lease: UpstreamLease, result: AttemptResult<T>): void {
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
    return;
  }
  lease.done({
    ok: result.ok,
    reachedUpstream: result.reachedUpstream,
    latencyMs: result.latencyMs,
    ...(result.reason !== undefined && { reason: result.reason }),
  });
}
