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
// per request. Bounded (least recently used dropped first) and keyed by the
// resource the token was checked for (the audience differs between /mcp and
// each /{path}/mcp) together with the raw token. Keying by the token itself,
// not a digest of it (a SHA-256 per request was ~2.6-3% of the isolate's CPU),
// is a deliberate trade (docs/architecture.md "Authentication"): this isolate
// already holds the gateway's signing key and every in-flight request's token,
// so whoever can read its memory gains nothing from the cache. The key is
// never logged, returned or exposed; the cache has no iteration API. What an
// entry may skip is decided by the Authenticator above.

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

/**
 * The cache key of `token` checked for `resource`. The resource comes first
 * and never contains a space (a serialized URL), so the key is unambiguous
 * whatever the token holds. Kept in isolate memory only (see above).
 */
export function verifiedTokenKey(token: string, resource: string): string {
  return `${resource} ${token}`;
}
