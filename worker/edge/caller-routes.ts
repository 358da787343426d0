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
// - one build at a time per key (w6-path): when an entry is missing or
//   stale, one request loads it; concurrent misses look for the finished
//   entry on their own timers and build it themselves when that build fails
//   or is not done after MAX_LOOKS looks. No in-flight promise is shared
//   between requests: under workerd a request awaiting a load another
//   request started would resume in that request's I/O context ("Cannot
//   perform I/O on behalf of a different request"); only finished loads are
//   kept;
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

/**
 * How many times a request looks for another's build before building itself
 * (counted in looks, not wall time, so a stalled event loop, which delays the
 * build and the looks alike, does not end the wait early): ~0.5 s of pauses.
 */
const MAX_LOOKS = 64;
/** The longest pause between two looks while waiting. */
const MAX_POLL_MS = 8;

/** A route cache: one per kind of route (each wing has its own), one map per epoch source (per isolate). */
export class CallerRoutes<T> {
  readonly #caches = new WeakMap<EpochSource, Map<string, Entry<T>>>();
  /** Keys being built by a request of this isolate, with when it started (per epoch source). */
  readonly #building = new WeakMap<EpochSource, Map<string, number>>();

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
    const hit = usable(cache.get(key), epochSource);
    if (hit !== undefined) return hit.value;
    let builders = this.#building.get(epochSource);
    if (builders === undefined) {
      builders = new Map();
      this.#building.set(epochSource, builders);
    }
    // Looked up without a pause first: concurrent misses must see the build the first one started.
    if (builders.has(key)) {
      const waited = await builtByAnother(cache, builders, key, epochSource);
      if (waited !== undefined) return waited.value;
    }
    const epoch = epochSource.value;
    const started = Date.now();
    builders.set(key, started);
    try {
      const { value, until } = await load();
      // Built at the epoch read before the load: a local write meanwhile leaves it void at once.
      cache.delete(key);
      cache.set(key, { value, epoch, until });
      if (cache.size > this.maxEntries) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return value;
    } finally {
      if (builders.get(key) === started) builders.delete(key);
    }
  }

  /** Forgets every entry built against `epochSource` (tests). */
  forget(epochSource: EpochSource): void {
    this.#caches.delete(epochSource);
    this.#building.delete(epochSource);
  }

  /** How many entries are cached against `epochSource` (tests: the bound). */
  size(epochSource: EpochSource): number {
    return this.#caches.get(epochSource)?.size ?? 0;
  }
}

function usable<T>(entry: Entry<T> | undefined, epochSource: EpochSource): Entry<T> | undefined {
  return entry !== undefined && entry.epoch === epochSource.value && entry.until > Date.now()
    ? entry
    : undefined;
}

/**
 * While another request of this isolate builds `key`: the entry it stores,
 * looked for on this request's own timers; undefined when there is no such
 * build, it ended without a usable entry, or it is not done after MAX_LOOKS.
 */
async function builtByAnother<T>(
  cache: Map<string, Entry<T>>,
  builders: Map<string, number>,
  key: string,
  epochSource: EpochSource,
): Promise<Entry<T> | undefined> {
  const since = builders.get(key);
  if (since === undefined) return undefined;
  for (let look = 0, pause = 1; look < MAX_LOOKS; look++, pause = Math.min(pause * 2, MAX_POLL_MS)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    const entry = usable(cache.get(key), epochSource);
    if (entry !== undefined) return entry;
    if (builders.get(key) !== since) return undefined;
  }
  return undefined;
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
