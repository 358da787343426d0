// Leasing one replica: rate limits charged, circuit state consulted, one
// replica chosen, and a lease whose `done` reports the outcome.

import { isIdempotentMethod } from "../protocol/methods.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { checkConnect } from "./connect-check.ts";
import {
  type LeaseOptions,
  type LeaseRefusal,
  leaseRefusal,
  type UpstreamLease,
  type WaitUntil,
} from "./lease-contract.ts";
import { chargeRateLimits, rateLimitHeaders } from "./rate-limit.ts";
import { type Choice, choose } from "./replica-choice.ts";
import { availability, grantLease, localOf, recordOutcome, stateOf } from "./replica-state.ts";
import { anyRateLimit, effectiveCircuit, type ResilienceDeps } from "./settings.ts";

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
    return leaseRefusal("no_replica", 0, noReplicaMessage(server, options), {});
  }

  // Without a configured limit (the default) rate-limit.ts is not involved at all.
  const charging = (options.rateLimit ?? "all") !== "none" && anyRateLimit(server, config);
  const [limits, snapshot] = await Promise.all([
    charging
      ? chargeRateLimits(deps, options.principal, {
          server,
          charge: options.rateLimit ?? "all",
          waitUntil: (work) => ctx.waitUntil(work),
        })
      : null,
    stateOf(env, server, config),
  ]);
  const limitHeaders = limits === null ? {} : rateLimitHeaders(limits);
  if (limits !== null && !limits.allowed) {
    const message = `Rate limit exceeded (${limits.scope}); retry in ${Math.ceil(limits.retryAfterMs / 1000)} s`;
    return leaseRefusal("rate_limited", limits.retryAfterMs, message, limitHeaders);
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
      return leaseRefusal("circuit_open", retryAfterMs, message, {
        ...limitHeaders,
        "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
      });
    }
    // One usable replica (the common case) needs no strategy.
    const [only] = usable;
    const chosen =
      usable.length === 1 && only !== undefined
        ? only.choice
        : choose(
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
          return leaseRefusal(
            "no_replica",
            1_000,
            `No replica of "${server.path}" accepted a connection`,
            limitHeaders,
          );
        }
        continue;
      }
    }
    return grantLease(env, ctx, server, settings, chosen, local, probe, limitHeaders);
  }
}

function noReplicaMessage(server: ServerRecord, options: LeaseOptions): string {
  if (options.pinnedUrl !== undefined)
    return `The replica holding this session is no longer part of "${server.path}"`;
  if (options.transport !== undefined && !server.endpoints.some((e) => e.transport === options.transport)) {
    return `Server "${server.path}" has no ${options.transport} replica`;
  }
  return `No replica of "${server.path}" is left to try`;
}
