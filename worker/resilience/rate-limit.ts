// Rate limits from the Worker's side: which limits apply to a request, which
// RateLimiter objects hold their counters (sharding: durable-objects/rate-limiter.ts,
// docs/architecture.md), and the IETF draft headers (`RateLimit-Policy`,
// `RateLimit`, plus `Retry-After` on refusals). Exact counting costs one
// Durable Object round trip per request, so it happens only when a limit is
// configured; the identity and tenant objects are asked in parallel.

import type { Principal } from "../auth/principal.ts";
import { recordRateLimitRefusal } from "../observability/hooks.ts";
import { identityLimiterName, tenantLimiterName } from "../platform/durable-objects.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { hash53 } from "./balancer.ts";
import { effectiveServerRateLimit, type RateLimitRule, type ResilienceDeps } from "./settings.ts";
import type { CounterRequest, CounterState, TakeResult } from "./state-types.ts";

export type LimitScope = "identity" | "identity-server" | "tenant";

/** Which limits to charge: every one that applies, only the per-server one, or none. */
export type RateLimitCharge = "all" | "server" | "none";

export interface AppliedLimit {
  scope: LimitScope;
  rule: RateLimitRule;
  remaining: number;
  /** Epoch ms when the oldest counted grant stops counting (sliding window). */
  resetAt: number;
}

export type RateLimitResult =
  | { allowed: true; limits: AppliedLimit[] }
  | { allowed: false; limits: AppliedLimit[]; retryAfterMs: number; scope: LimitScope };

interface Planned {
  scope: LimitScope;
  rule: RateLimitRule;
  counter: CounterRequest;
}

/** One identity: stable across its requests and distinct between issuers and tenants. */
export function identityKey(principal: Principal): string {
  return JSON.stringify([principal.tenant, principal.issuer, principal.subject]);
}

/**
 * Charges the limits that apply to `principal` (and `server` for the
 * per-server limit). Refused requests take nothing: a refusal by one object
 * gives back what the other granted.
 */
export async function chargeRateLimits(
  deps: ResilienceDeps,
  principal: Principal,
  options: { server?: ServerRecord; charge?: RateLimitCharge; waitUntil?: (work: Promise<unknown>) => void },
): Promise<RateLimitResult> {
  const charge = options.charge ?? "all";
  if (charge === "none") return { allowed: true, limits: [] };
  const { env, settings: config } = deps;
  const identityCounters: Planned[] = [];
  if (charge === "all" && config.rateLimits.identity) {
    identityCounters.push(plan("identity", "identity", config.rateLimits.identity));
  }
  const serverRule = options.server ? effectiveServerRateLimit(options.server, config) : null;
  if (options.server && serverRule) {
    identityCounters.push(plan("identity-server", `identity-server:${options.server.id}`, serverRule));
  }
  const tenantRule = charge === "all" ? config.rateLimits.tenant : null;
  // No limit applies (the default): nothing to count, no object to ask.
  if (identityCounters.length === 0 && tenantRule === null) return { allowed: true, limits: [] };
  const identity = identityKey(principal);
  const shards = config.rateLimits.tenantShards;
  const shard = hash53(identity) % shards;
  const tenantCounters = tenantRule
    ? [plan("tenant", "tenant", shareOf(tenantRule, shard, shards), tenantRule)]
    : [];

  const identityStub =
    identityCounters.length > 0
      ? env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(identityLimiterName(identity)))
      : null;
  const tenantStub =
    tenantCounters.length > 0
      ? env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(tenantLimiterName(principal.tenant, shard)))
      : null;
  const [identityResult, tenantResult] = await Promise.all([
    identityStub ? identityStub.take(identityCounters.map((planned) => planned.counter)) : null,
    tenantStub ? tenantStub.take(tenantCounters.map((planned) => planned.counter)) : null,
  ]);

  const limits = [...applied(identityCounters, identityResult), ...applied(tenantCounters, tenantResult)];
  const refusals = [...refused(identityCounters, identityResult), ...refused(tenantCounters, tenantResult)];
  if (refusals.length === 0) return { allowed: true, limits };

  // One object granted while the other refused: give the grant back.
  const refunds: Promise<unknown>[] = [];
  if (identityStub && identityResult?.allowed) {
    refunds.push(identityStub.refund(identityResult.counters.map(refundOf)));
  }
  if (tenantStub && tenantResult?.allowed)
    refunds.push(tenantStub.refund(tenantResult.counters.map(refundOf)));
  if (refunds.length > 0) {
    const settled = Promise.allSettled(refunds);
    if (options.waitUntil) options.waitUntil(settled);
    else await settled;
  }
  const worst = refusals.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
  recordRateLimitRefusal(principal.tenant, worst.scope);
  return { allowed: false, limits, retryAfterMs: worst.retryAfterMs, scope: worst.scope };
}

/**
 * `RateLimit-Policy` lists every limit that applied; `RateLimit` reports the
 * one closest to running out (draft-ietf-httpapi-ratelimit-headers); refusals
 * add `Retry-After` in seconds.
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  if (result.limits.length === 0) return {};
  const headers: Record<string, string> = {
    "ratelimit-policy": result.limits
      .map((limit) => `"${limit.scope}";q=${limit.rule.requests};w=${limit.rule.windowSeconds}`)
      .join(", "),
  };
  const now = Date.now();
  const tightest = result.allowed
    ? result.limits.reduce((a, b) => (b.remaining < a.remaining ? b : a))
    : (result.limits.find((limit) => limit.scope === result.scope) ?? result.limits[0]);
  if (tightest) {
    const reset = Math.max(0, Math.ceil((tightest.resetAt - now) / 1000));
    headers.ratelimit = `"${tightest.scope}";r=${Math.max(0, tightest.remaining)};t=${reset}`;
  }
  if (!result.allowed) headers["retry-after"] = String(Math.max(1, Math.ceil(result.retryAfterMs / 1000)));
  return headers;
}

function plan(scope: LimitScope, key: string, rule: RateLimitRule, shown: RateLimitRule = rule): Planned {
  return { scope, rule: shown, counter: { key, limit: rule.requests, windowMs: rule.windowSeconds * 1000 } };
}

/**
 * Shard `shard` of `shards` gets an equal slice of the tenant's budget (the
 * remainder to the first shards), so the slices add up to the limit exactly.
 */
export function shareOf(rule: RateLimitRule, shard: number, shards: number): RateLimitRule {
  const base = Math.floor(rule.requests / shards);
  return { requests: base + (shard < rule.requests % shards ? 1 : 0), windowSeconds: rule.windowSeconds };
}

function applied(planned: Planned[], result: TakeResult | null): AppliedLimit[] {
  if (!result) return [];
  return planned.map((entry, index) => {
    const counter = result.counters[index] as CounterState;
    return { scope: entry.scope, rule: entry.rule, remaining: counter.remaining, resetAt: counter.resetAt };
  });
}

function refused(
  planned: Planned[],
  result: TakeResult | null,
): { scope: LimitScope; retryAfterMs: number }[] {
  if (!result || result.allowed) return [];
  return planned
    .filter((entry) => result.exhausted.includes(entry.counter.key))
    .map((entry) => ({ scope: entry.scope, retryAfterMs: result.retryAfterMs }));
}

function refundOf(counter: CounterState): { key: string; windowStart: number } {
  return { key: counter.key, windowStart: counter.windowStart };
}
