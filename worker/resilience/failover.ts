// Failover: an attempt on a leased replica that failed without reaching the
// upstream (or, for idempotent requests, failed at all) is retried on another
// replica; rate limits are charged once.
import { isIdempotentMethod } from "../protocol/methods.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import {
  type AttemptResult,
  isLeaseRefusal,
  type LeaseOptions,
  type LeaseRefusal,
  leaseRefusal,
  type UpstreamLease,
  type WaitUntil,
} from "./lease-contract.ts";
import { leaseUpstream } from "./lease-upstream.ts";
import type { ResilienceDeps } from "./settings.ts";
import { attemptOn } from "./sole-replica.ts";

// --- failover ---------------------------------------------------------------

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
    // Reported on `lease` (its `done`), answered with `leased` (the first lease's headers).
    const result = await attemptOn(lease, attempt, leased);
    last = { value: result.value, lease: leased, attempts };
    if (result.ok) return last;
    if (result.reachedUpstream && !retryIfReached) return last;
    exclude.push(lease.endpointIndex);
  }
  if (last) return last;
  return leaseRefusal("no_replica", 0, `No replica of "${server.path}" is left to try`, {});
}
