// From a bearer token to a Principal: verify the JWT (the gateway's own
// tokens and every configured IdP's), then map it. The gateway's tokens are
// also checked against their stored row (revocation); IdP tokens are mapped
// from their claims with the issuer's settings. Verified tokens are
// remembered per isolate (VerifiedTokenCache below): a gateway token skips the
// signature check but never the row check; an IdP token's principal is kept
// until the token expires or its issuer's keys are due to be re-read. OAuth
// tokens of the gateway's authorization server are not remembered (their
// revocation applies at once).

import type { JWTPayload } from "jose";
import { baseUrl, defaultAudiences, resourceUrl } from "../http/resource.ts";
import { principalFromClaims } from "./claims.ts";
import type { JwksCache } from "./jwks-cache.ts";
import type { Principal } from "./principal.ts";
import type { AuthSettings } from "./settings.ts";
import type { SigningKeys } from "./signing-keys.ts";
import type { TokenService } from "./token-service.ts";
import { type GatewayIssuer, type VerifierSetup, verifyToken } from "./token-verifier.ts";

export interface AuthenticatorDeps {
  settings: AuthSettings;
  publicUrl: string | null;
  jwks: JwksCache;
  tokens: TokenService;
  /** null when the gateway has no signing key (then it trusts no gateway tokens). */
  keys: () => Promise<SigningKeys | null>;
  /** Opaque access tokens of the gateway's OAuth authorization server (worker/oauth/). */
  oauthTokens?: ((token: string, requestUrl: string) => Promise<Principal>) | undefined;
  /** Verified tokens of this isolate (default: a new bounded cache). */
  verified?: VerifiedTokenCache<VerifiedEntry>;
  now?: () => number;
}

/** What the cache keeps of a verified token. */
export type VerifiedEntry =
  /** A gateway token: its verified claims; the stored row is still checked on every use. */
  | { kind: "gateway"; claims: JWTPayload }
  /** An IdP token: the principal it stands for. */
  | { kind: "principal"; principal: Principal };

/** The OAuth library's tokens are `{userId}:{grantId}:{secret}`; JWTs never contain `:`. */
const OAUTH_TOKEN_SHAPE = /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

/** Request paths whose resource URL is remembered (Authenticator #resourceOf). */
const RESOURCE_MEMO_MAX = 1_024;

export class Authenticator {
  readonly #deps: AuthenticatorDeps;
  readonly #verified: VerifiedTokenCache<VerifiedEntry>;
  readonly #now: () => number;
  /** `${base} ${path}` to the path's resource URL (see #resourceOf). */
  readonly #resources = new Map<string, string>();

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#verified = deps.verified ?? new VerifiedTokenCache({ now: this.#now });
  }

  /** The issuer URL of the gateway's own tokens for a request (PUBLIC_URL or the request's origin). */
  issuerFor(requestUrl: string): string {
    return baseUrl(this.#deps.publicUrl, requestUrl);
  }

  /** Throws AuthError for any token that must be refused. */
  /**
   * `path`, when given, is the request URL's pathname as the caller already
   * holds it (the MCP front passes Hono's): with PUBLIC_URL set the URL is
   * then not parsed at all on a cache hit.
   */
  async authenticate(token: string, requestUrl: string, path?: string): Promise<Principal> {
    const { oauthTokens, settings } = this.#deps;
    // Too large: refused by the verifier before any work.
    if (token.length > settings.maxTokenBytes) return this.#verify(token, requestUrl, null);
    // Not remembered: revocation at the authorization server applies at once (docs/architecture.md).
    if (oauthTokens && OAUTH_TOKEN_SHAPE.test(token)) return oauthTokens(token, requestUrl);
    // One parse of the request URL for the issuer and the resource (was three).
    let base = this.#deps.publicUrl;
    let pathname = path;
    if (base === null || pathname === undefined) {
      const url = new URL(requestUrl);
      base ??= url.origin;
      pathname ??= url.pathname;
    }
    const key = verifiedTokenKey(token, this.#resourceOf(base, pathname));
    const cached = this.#verified.get(key);
    if (cached?.kind === "gateway") return this.#deps.tokens.principalFor(cached.claims, base);
    if (cached) return copyOf(cached.principal);
    return this.#verify(token, requestUrl, key);
  }

  /**
   * The resource a path belongs to (http/resource.ts), remembered per base
   * and path: the steady request does not enter the resource rules again.
   * Bounded: forgotten all at once when full (REST paths carry ids).
   */
  #resourceOf(base: string, path: string): string {
    const memo = `${base} ${path}`;
    let resource = this.#resources.get(memo);
    if (resource === undefined) {
      if (this.#resources.size >= RESOURCE_MEMO_MAX) this.#resources.clear();
      resource = resourceUrl(base, path);
      this.#resources.set(memo, resource);
    }
    return resource;
  }

  /** The full check of a JWT (signature, claims; a gateway token's row), remembered under `key`. */
  async #verify(token: string, requestUrl: string, key: string | null): Promise<Principal> {
    const base = this.issuerFor(requestUrl);
    const audiences = defaultAudiences(base, new URL(requestUrl).pathname);
    const verified = await verifyToken(this.#setup(base), token, audiences);
    const until = typeof verified.claims.exp === "number" ? verified.claims.exp * 1000 : 0;
    if (verified.source === "gateway") {
      // The row check runs first: a revoked token is never remembered as verified.
      const principal = await this.#deps.tokens.principalFor(verified.claims, base);
      if (key) this.#verified.set(key, { kind: "gateway", claims: verified.claims }, until);
      return principal;
    }
    const principal: Principal = {
      ...principalFromClaims(verified.issuer, verified.claims),
      credential: "idp",
    };
    // Re-verified at least as often as the issuer's keys are re-read: a key the IdP withdrew stops working.
    const keysAge = this.#now() + verified.issuer.jwksMaxAgeSeconds * 1000;
    if (key)
      this.#verified.set(key, { kind: "principal", principal: copyOf(principal) }, Math.min(until, keysAge));
    return principal;
  }

  /** Forgets every verified token (tests; a configuration change in-process). */
  forgetVerified(): void {
    this.#verified.clear();
  }

  #setup(base: string): VerifierSetup {
    const { settings, jwks, keys } = this.#deps;
    let gateway: GatewayIssuer | null = null;
    if (settings.signingKey) {
      gateway = {
        issuer: base,
        keys: async () => {
          const loaded = await keys();
          if (!loaded) throw new Error("signing keys missing although TOKEN_SIGNING_KEY is set");
          return loaded.resolver;
        },
      };
    }
    return { issuers: settings.issuers, jwks, maxTokenBytes: settings.maxTokenBytes, gateway };
  }
}

/** Callers may change the principal they get: the cached one stays untouched. */
function copyOf(principal: Principal): Principal {
  return { ...principal, groups: [...principal.groups], scopes: [...principal.scopes] };
}

// --- Verified tokens ------------------------------------------------------------
// Remembered per isolate so the signature check runs once per token, not once
// per request. Bounded (least recently used dropped first) and keyed by a
// SHA-256 digest of the token together with the resource it was checked for
// (the audience differs between /mcp and each /{path}/mcp), so raw tokens are
// never kept. What an entry may skip is decided by the Authenticator above.

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
export function verifiedTokenKey(token: string, resource: string): string {
  return `${sha256Hex(ENCODER.encode(token))} ${resource}`;
}

const ENCODER = new TextEncoder();

/**
 * SHA-256 (FIPS 180-4) of `bytes` as lowercase hex, synchronously. Written
 * out because the key is derived on every authenticated request:
 * `crypto.subtle.digest` costs a promise, a buffer copy and an await per call
 * and was the front's largest self time in bench:profile (1.2-2.2% of the
 * isolate); node:crypto's createHash measured twice that. auth/ may not import
 * platform/ (scripts/check-folders.ts), and nothing else needs a synchronous
 * digest. test/unit/verified-token-key.test.ts checks it against
 * crypto.subtle on inputs of every padding length.
 */
export function sha256Hex(bytes: Uint8Array): string {
  const length = bytes.length;
  // The message, 0x80, zeros, and the bit length in the last 8 bytes of a 64-byte block.
  const padded = new Uint8Array((((length + 8) >>> 6) + 1) << 6);
  padded.set(bytes);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
  view.setUint32(padded.length - 4, (length << 3) >>> 0);
  let h0 = 0x6a09e667;
  let h1 = 0xbb67ae85;
  let h2 = 0x3c6ef372;
  let h3 = 0xa54ff53a;
  let h4 = 0x510e527f;
  let h5 = 0x9b05688c;
  let h6 = 0x1f83d9ab;
  let h7 = 0x5be0cd19;
  const w = SCHEDULE;
  for (let block = 0; block < padded.length; block += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(block + i * 4);
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15] as number;
      const y = w[i - 2] as number;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let h = h7;
    for (let i = 0; i < 64; i++) {
      const sum1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + sum1 + ((e & f) ^ (~e & g)) + (ROUND[i] as number) + (w[i] as number)) | 0;
      const sum0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (sum0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + h) | 0;
  }
  return hex32(h0) + hex32(h1) + hex32(h2) + hex32(h3) + hex32(h4) + hex32(h5) + hex32(h6) + hex32(h7);
}

function hex32(word: number): string {
  return (word >>> 0).toString(16).padStart(8, "0");
}

/** The message schedule, reused: sha256Hex is synchronous, so one call at a time uses it. */
const SCHEDULE = new Int32Array(64);
// The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
const ROUND = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
