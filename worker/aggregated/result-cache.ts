// The 2026-07-28 result cache of the aggregated machinery (`/mcp` and
// virtual servers): a forwarded result that carries the caching hints of the
// 2026-07-28 schema (`ttlMs`, a non-negative integer; `cacheScope`,
// "public" or "private") is kept for `ttlMs` and served from here instead of
// asking the upstream again. The key is the authorization context: a
// "private" result is reused only for the same caller (tenant, issuer,
// subject), a "public" one across callers of the tenant, exactly as the
// schema allows. Every lookup happens after the caller's own policy decision
// (the handlers decide before they forward), so a cached result never
// reaches anyone who could not have asked for it.
// Invalidation: the key includes the server's catalog check time, so a
// catalog refresh (anywhere) retires every entry of that server;
// `invalidateServer` drops them at once (for `list_changed` relay and
// in-isolate refreshes). Per isolate and bounded: a cache, not a store.
// Only methods the schema marks cacheable and the gateway forwards are kept
// (`resources/read`); lists are served from the stored catalog anyway.
import type { Principal } from "../auth/principal.ts";
import { identityKey } from "../resilience/rate-limit.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import type { UpstreamRequest } from "../upstream/upstream-call.ts";

export type CacheScope = "public" | "private";

export interface CacheHints {
  ttlMs: number;
  cacheScope: CacheScope;
}

/** Forwarded methods whose results the 2026-07-28 schema makes cacheable. */
const CACHEABLE = new Set<string>(["resources/read"]);

/** Entries kept per isolate; the oldest goes first. */
export const MAX_CACHED_RESULTS = 1_000;

/** The valid hints on `result`, or null when it may not be cached (absent, invalid, or `ttlMs` 0). */
export function cacheHintsOf(result: Record<string, unknown>): CacheHints | null {
  const { ttlMs, cacheScope } = result;
  if (typeof ttlMs !== "number" || !Number.isInteger(ttlMs) || ttlMs <= 0) return null;
  if (cacheScope !== "public" && cacheScope !== "private") return null;
  return { ttlMs, cacheScope };
}

interface Entry {
  result: Record<string, unknown>;
  serverId: string;
  scope: CacheScope;
  expiresAt: number;
}

export interface CachedCall {
  /** The result, with `ttlMs` counting down for a cached one. */
  result: Record<string, unknown>;
  upstreamStatus: number | null;
  /** True when no upstream was asked. */
  cached: boolean;
}

export class ResultCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_CACHED_RESULTS,
  ) {}

  /**
   * `call` unless a fresh cached result for this caller and request exists;
   * a cacheable answer of `call` is kept for later callers its scope allows.
   */
  async through(
    principal: Principal,
    server: ServerRecord,
    request: UpstreamRequest,
    call: () => Promise<{ result: Record<string, unknown>; upstreamStatus: number | null }>,
  ): Promise<CachedCall> {
    if (!CACHEABLE.has(request.method)) return { ...(await call()), cached: false };
    const base = baseKey(server, request);
    // The authorization context of a private entry.
    const caller = identityKey(principal);
    const hit = this.fresh(`${base}\u0000${caller}`) ?? this.fresh(`${base}\u0000*`);
    if (hit) {
      const ttlMs = Math.max(0, hit.expiresAt - this.now());
      return { result: { ...hit.result, ttlMs, cacheScope: hit.scope }, upstreamStatus: null, cached: true };
    }
    const outcome = await call();
    const hints = cacheHintsOf(outcome.result);
    if (hints) {
      const key = `${base}\u0000${hints.cacheScope === "public" ? "*" : caller}`;
      this.put(key, {
        result: outcome.result,
        serverId: server.id,
        scope: hints.cacheScope,
        expiresAt: this.now() + hints.ttlMs,
      });
    }
    return { ...outcome, cached: false };
  }

  /** Drops every entry of `serverId` (its lists or resources changed). */
  invalidateServer(serverId: string): void {
    for (const [key, entry] of this.entries) if (entry.serverId === serverId) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private fresh(key: string): Entry | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return entry;
  }

  private put(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
  }
}

/** The isolate's cache, shared by every exchange of `/mcp` and the virtual servers. */
export const resultCache = new ResultCache();

/** Same server, same catalog generation, same request. */
function baseKey(server: ServerRecord, request: UpstreamRequest): string {
  return JSON.stringify([
    server.tenant,
    server.id,
    server.catalog.checkedAt,
    request.method,
    canonical(request.params),
  ]);
}

/**
 * What the gateway's own answer keeps of the upstream's hints: a 2026-07-28
 * caller gets them (so it may cache too, never longer than the gateway
 * would); a session-based caller's revision has no such fields.
 */
export function withHintsFor(
  generation: "stateless" | "session",
  upstream: Record<string, unknown>,
  answer: Record<string, unknown>,
): Record<string, unknown> {
  const hints = generation === "stateless" ? cacheHintsOf(upstream) : null;
  return hints ? { ...answer, ...hints } : answer;
}

/** JSON with sorted keys, so equal params make equal keys whatever their order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => key !== "_meta")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => [key, canonical(item)]),
  );
}
