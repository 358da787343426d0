// The isolate's pool of upstream sessions for callers without a client
// session (stateless 2026-07-28 clients of /mcp and of virtual servers): a
// session-based upstream is initialized once per caller, server, replica and
// egress credential, and later calls resume it (one POST instead of
// initialize, initialized, the call and a DELETE).
//
// Isolation: a key names the caller (tenant, issuer, subject), the server,
// the replica and a digest of the egress credential actually sent (so a
// rotated secret, or a per-user credential, never resumes a session opened
// with another). Upstream session state (subscriptions, logging level,
// anything a server keeps per session) therefore never crosses callers.
//
// Exclusivity: a session is lent to one call at a time (the SDK client of
// each call numbers its requests from 0, so two calls in one upstream session
// could collide); concurrent calls open more sessions, up to
// `maxIdlePerKey` are kept. Bounded: at most `maxKeys` keys, least recently
// used dropped first; an idle session older than `idleMs` is not lent out.
// Dropped sessions are left to the upstream's own idle expiry; a session the
// upstream has forgotten answers 404 and the caller opens a new one.
import type { Principal } from "../auth/principal.ts";
import { sha256Hex } from "../platform/encoding.ts";
import type { UpstreamSession } from "./upstream-client.ts";

export interface UpstreamPoolOptions {
  maxKeys?: number;
  maxIdlePerKey?: number;
  idleMs?: number;
  now?: () => number;
}

/** What a call needs from the pool: a session to resume, and a place to give it back. */
export interface UpstreamSessionLender {
  /** An idle session for `key`, now lent to the caller alone; undefined when none is idle. */
  lend(key: string): UpstreamSession | undefined;
  /** After a successful call: keeps `session` for the next call; false when the caller must end it. */
  giveBack(key: string, session: UpstreamSession): boolean;
}

interface Idle {
  session: UpstreamSession;
  since: number;
}

export const POOL_DEFAULTS = { maxKeys: 512, maxIdlePerKey: 8, idleMs: 5 * 60_000 } as const;

export class UpstreamSessionPool {
  // Map order is recency: a key is re-inserted whenever it is used.
  readonly #idle = new Map<string, Idle[]>();
  readonly #maxKeys: number;
  readonly #maxIdlePerKey: number;
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(options: UpstreamPoolOptions = {}) {
    this.#maxKeys = options.maxKeys ?? POOL_DEFAULTS.maxKeys;
    this.#maxIdlePerKey = options.maxIdlePerKey ?? POOL_DEFAULTS.maxIdlePerKey;
    this.#idleMs = options.idleMs ?? POOL_DEFAULTS.idleMs;
    this.#now = options.now ?? Date.now;
  }

  /** The pool as one caller sees it: keys are prefixed with the caller's identity. */
  forCaller(principal: Principal): UpstreamSessionLender {
    const caller = callerKey(principal);
    return {
      lend: (key) => this.lend(`${caller}\n${key}`),
      giveBack: (key, session) => this.giveBack(`${caller}\n${key}`, session),
    };
  }

  lend(key: string): UpstreamSession | undefined {
    const list = this.#idle.get(key);
    if (!list) return undefined;
    // The list is in give-back order: stale sessions sit at the front.
    const oldest = this.#now() - this.#idleMs;
    while (list.length > 0 && (list[0]?.since ?? 0) < oldest) list.shift();
    // The most recently returned session is the likeliest to be alive upstream.
    const entry = list.pop();
    if (list.length === 0) this.#idle.delete(key);
    else this.#touch(key, list);
    return entry?.session;
  }

  giveBack(key: string, session: UpstreamSession): boolean {
    const list = this.#idle.get(key) ?? [];
    if (list.length >= this.#maxIdlePerKey) return false;
    list.push({ session, since: this.#now() });
    this.#touch(key, list);
    while (this.#idle.size > this.#maxKeys) {
      const least = this.#idle.keys().next().value;
      if (least === undefined) break;
      this.#idle.delete(least);
    }
    return true;
  }

  /** Idle sessions kept (tests, metrics). */
  get size(): number {
    let count = 0;
    for (const list of this.#idle.values()) count += list.length;
    return count;
  }

  clear(): void {
    this.#idle.clear();
  }

  #touch(key: string, list: Idle[]): void {
    this.#idle.delete(key);
    this.#idle.set(key, list);
  }
}

function callerKey(principal: Principal): string {
  return JSON.stringify([principal.tenant, principal.issuer, principal.subject]);
}

/** The credential key of a request that carries none (a digest is 32 hex digits, never this). */
export const NO_CREDENTIAL = "none";

/**
 * An opaque key for the credential a request to an upstream carries: a
 * SHA-256 digest of the URL (query credentials) and the headers, so the pool
 * key never holds a secret and changes whenever the credential does. A
 * request that carries none (no headers, the endpoint's own URL: a server
 * without an egress credential, the common case) is `none` without a digest.
 */
export async function credentialKey(
  parts: { url: string; headers: Record<string, string> },
  endpointUrl: string,
): Promise<string> {
  if (parts.url === endpointUrl && Object.keys(parts.headers).length === 0) return NO_CREDENTIAL;
  const headers = Object.entries(parts.headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return (await sha256Hex(JSON.stringify([parts.url, headers]))).slice(0, 32);
}
