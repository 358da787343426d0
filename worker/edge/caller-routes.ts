// The per-isolate cache of "everything one caller needs to reach one server"
// that both MCP wings keep: the per-server proxy's route (proxy/proxy-route.ts,
// keyed by path) and the aggregated endpoint's call route
// (aggregated/call-route.ts, keyed by server path). One mechanism, one set of
// freshness rules:
// - an entry expires no later than the earliest expiry of what it was built
//   from (each source hands back its own `until`), so other isolates' writes
//   reach it within the bounds of those sources' caches;
// - writes through this isolate move the route epoch (registry/route-epoch.ts)
//   and void every entry at once (one integer compare per lookup);
// - keyed by everything a decision or visibility depends on (tenant, issuer,
//   subject, groups, scopes) plus the target; never the caller's token
//   (authentication and revocation run on every request first);
// - only finished loads are kept: concurrent misses each load, because under
//   workerd a request awaiting a load another request started would resume in
//   that request's I/O context ("Cannot perform I/O on behalf of a different
//   request"); no in-flight promise is shared between requests;
// - bounded: the oldest entry goes first.
import type { Principal } from "../auth/principal.ts";
import type { Decision } from "../policy/access-policy.ts";
import type { McpGuard } from "./access.ts";

/** What a route's freshness is checked against: the isolate's route epoch. */
export interface EpochSource {
  readonly value: number;
}

interface Entry<T> {
  value: T;
  /** The route epoch it was built at. */
  epoch: number;
  /** Epoch ms. */
  until: number;
}

/** A route cache: one per kind of route (each wing has its own), one map per epoch source (per isolate). */
export class CallerRoutes<T> {
  readonly #caches = new WeakMap<EpochSource, Map<string, Entry<T>>>();

  constructor(readonly maxEntries: number) {}

  /** The cached value for (`principal`, `target`), or `load`'s (which says until when it may be kept). */
  async get(
    epochSource: EpochSource,
    principal: Principal,
    target: string,
    load: () => Promise<{ value: T; until: number }>,
  ): Promise<T> {
    let cache = this.#caches.get(epochSource);
    if (cache === undefined) {
      cache = new Map();
      this.#caches.set(epochSource, cache);
    }
    const key = routeKey(principal, target);
    const epoch = epochSource.value;
    const hit = cache.get(key);
    if (hit !== undefined && hit.epoch === epoch && hit.until > Date.now()) return hit.value;
    const { value, until } = await load();
    // Built at the epoch read before the load: a local write meanwhile leaves it void at once.
    cache.delete(key);
    cache.set(key, { value, epoch, until });
    if (cache.size > this.maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return value;
  }

  /** Forgets every entry built against `epochSource` (tests). */
  forget(epochSource: EpochSource): void {
    this.#caches.delete(epochSource);
  }

  /** How many entries are cached against `epochSource` (tests: the bound). */
  size(epochSource: EpochSource): number {
    return this.#caches.get(epochSource)?.size ?? 0;
  }
}

/**
 * Everything a decision or visibility depends on: the tenant and the
 * caller's identity, groups and scopes (for a gateway token the stored row's).
 */
function routeKey(principal: Principal, target: string): string {
  return JSON.stringify([
    principal.tenant,
    principal.issuer,
    principal.subject,
    principal.groups,
    principal.scopes,
    target,
  ]);
}

/** Decisions remembered per route (distinct method and tool names). */
const MAX_DECISIONS = 256;

/** The guard with its decisions remembered by method and tool (the policy and the caller are fixed). */
export function rememberingDecisions(guard: McpGuard): McpGuard {
  const decisions = new Map<string, Decision>();
  const decide = (method: string, tool?: string): Decision => {
    const key = tool === undefined ? method : `${method}\u0000${tool}`;
    let decision = decisions.get(key);
    if (decision === undefined) {
      decision = guard.decide(method, tool);
      if (decisions.size >= MAX_DECISIONS) decisions.clear();
      decisions.set(key, decision);
    }
    return decision;
  };
  const calls = new Map<string, boolean>();
  return {
    ...guard,
    decide,
    mayCall: (tool) => {
      let may = calls.get(tool);
      if (may === undefined) {
        may = guard.mayCall(tool);
        if (calls.size >= MAX_DECISIONS) calls.clear();
        calls.set(tool, may);
      }
      return may;
    },
  };
}
