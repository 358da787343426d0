// Verified bearer tokens, remembered per isolate so the signature check runs
// once per token, not once per request.
// Bounded (least recently used dropped first) and keyed by a SHA-256 digest of
// the token together with the resource it was checked for (the audience
// differs between /mcp and each /{path}/mcp), so raw tokens are never kept.
// What an entry may skip is decided by the Authenticator: a gateway token
// keeps only its verified claims and is still checked against its stored row
// (token-service.ts, revocation within REVOCATION_TTL_MS); an IdP token keeps
// its principal until it expires or its issuer's keys are due to be re-read.

export const VERIFIED_TOKEN_CACHE_MAX = 2_000;

interface Entry<T> {
  value: T;
  /** Epoch ms after which the entry is not used. */
  until: number;
}

export class VerifiedTokenCache<T> {
  // Map order is recency: a hit re-inserts its key.
  readonly #entries = new Map<string, Entry<T>>();
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#max = options.maxEntries ?? VERIFIED_TOKEN_CACHE_MAX;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.until <= this.#now()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` until `until` (epoch ms); nothing when that has passed. */
  set(key: string, value: T, until: number): void {
    if (until <= this.#now()) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, until });
    while (this.#entries.size > this.#max) {
      const least = this.#entries.keys().next().value;
      if (least === undefined) break;
      this.#entries.delete(least);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** The cache key of `token` checked for `resource` (never the token itself). */
export async function verifiedTokenKey(token: string, resource: string): Promise<string> {
  // auth/ may not import platform/ (scripts/check-folders.ts): the digest is written out here.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", ENCODER.encode(token)));
  // A table lookup per byte: toString(16) + padStart per byte was ~1.5% of the gateway isolate's CPU (issue 10).
  let hex = "";
  for (let index = 0; index < digest.length; index++) hex += HEX[digest[index] as number];
  return `${hex} ${resource}`;
}

const ENCODER = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
