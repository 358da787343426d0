// Per-isolate cache of each issuer's signing keys (JWKS). Keys are reused until
// they are `maxAge` old, then refreshed; a failed refresh keeps the old keys
// (an IdP outage must not log everybody out). An unknown `kid` triggers a
// refetch, but fetches of one issuer are at least `cooldown` apart, so a flood
// of made-up `kid`s costs the IdP at most one request per cooldown. With no
// keys ever fetched, every token of that issuer is refused (fail closed).
import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
  type LocalJWKSet,
} from "jose";
import { AuthError } from "./errors.ts";

export interface JwksSource {
  issuer: string;
  /** null: discover it from `{issuer}/.well-known/openid-configuration`. */
  jwksUri: string | null;
  maxAgeMs: number;
  cooldownMs: number;
}

type KeyResolver = LocalJWKSet;
type VerificationKey = CryptoKey;

interface Entry {
  resolver: KeyResolver | null;
  keyCount: number;
  fetchedAt: number;
  /** When the last fetch (successful or not) started; -Infinity before the first. */
  lastAttempt: number;
  /** Discovered from the issuer's metadata, kept until a JWKS fetch fails. */
  discoveredJwksUri: string | null;
  /** Fetches under way; while one is, concurrent callers fetch too rather than await it. */
  fetching: number;
}

const FETCH_TIMEOUT_MS = 5_000;
const MAX_DOCUMENT_BYTES = 256 * 1024;
const MAX_KEYS = 100;

export interface JwksCacheOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Receives refresh failures (the cache itself never throws them at callers). */
  onFetchError?: (issuer: string, error: unknown) => void;
}

export class JwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #onFetchError: (issuer: string, error: unknown) => void;

  constructor(options: JwksCacheOptions = {}) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#onFetchError =
      options.onFetchError ??
      ((issuer, error) =>
        console.warn(
          JSON.stringify({
            level: "warn",
            event: "jwks_fetch_failed",
            issuer,
            error: error instanceof Error ? error.message : String(error),
          }),
        ));
  }

  /** The verification key for a token header, fetching or refetching the JWKS when allowed. */
  async keyFor(source: JwksSource, header: JWSHeaderParameters): Promise<VerificationKey> {
    const entry = this.#entry(source);
    const stale = entry.resolver === null || this.#now() - entry.fetchedAt >= source.maxAgeMs;
    if (stale && this.#mayFetch(entry, source)) await this.#refresh(entry, source);
    if (entry.resolver === null) {
      throw new AuthError("the issuer's signing keys are not available", {
        internal: `no JWKS has been fetched for ${source.issuer}`,
      });
    }
    try {
      return await entry.resolver(header);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw toAuthError(error);
    }
    // An unknown kid: maybe the IdP rotated its keys. Refetch once, if the cooldown allows.
    if (this.#mayFetch(entry, source)) {
      await this.#refresh(entry, source);
      try {
        if (entry.resolver === null) throw new AuthError("the issuer's signing keys are not available");
        return await entry.resolver(header);
      } catch (error) {
        throw toAuthError(error);
      }
    }
    throw new AuthError("no signing key matches the token's kid");
  }

  /** Forgets everything (tests and benchmarks). */
  clear(): void {
    this.#entries.clear();
  }

  #entry(source: JwksSource): Entry {
    const key = `${source.issuer}\n${source.jwksUri ?? ""}`;
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        resolver: null,
        keyCount: 0,
        fetchedAt: Number.NEGATIVE_INFINITY,
        lastAttempt: Number.NEGATIVE_INFINITY,
        discoveredJwksUri: null,
        fetching: 0,
      };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  #mayFetch(entry: Entry, source: JwksSource): boolean {
    return entry.fetching > 0 || this.#now() - entry.lastAttempt >= source.cooldownMs;
  }

  /**
   * Fetches the issuer's keys for this caller. Never rejects. Callers arriving while a fetch is
   * under way fetch too instead of awaiting it: under workerd, a request awaiting a fetch another
   * request started would resume in that request's I/O context.
   */
  async #refresh(entry: Entry, source: JwksSource): Promise<void> {
    entry.lastAttempt = this.#now();
    entry.fetching += 1;
    try {
      const jwks = await this.#load(entry, source);
      entry.resolver = createLocalJWKSet(jwks);
      entry.keyCount = jwks.keys.length;
      entry.fetchedAt = this.#now();
    } catch (error) {
      entry.discoveredJwksUri = null;
      this.#onFetchError(source.issuer, error);
    } finally {
      entry.fetching -= 1;
    }
  }

  async #load(entry: Entry, source: JwksSource): Promise<JSONWebKeySet> {
    let jwksUri = source.jwksUri ?? entry.discoveredJwksUri;
    if (jwksUri === null) {
      jwksUri = await this.#discover(source.issuer);
      entry.discoveredJwksUri = jwksUri;
    }
    const document = await this.#getJson(jwksUri);
    return parseJwks(document);
  }

  async #discover(issuer: string): Promise<string> {
    const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
    const metadata = await this.#getJson(url);
    if (typeof metadata !== "object" || metadata === null) throw new Error("discovery: not a JSON object");
    const { issuer: advertised, jwks_uri: jwksUri } = metadata as Record<string, unknown>;
    // Mix-up protection: the metadata must be about exactly this issuer.
    if (advertised !== issuer)
      throw new Error(`discovery: issuer is ${String(advertised)}, expected ${issuer}`);
    if (typeof jwksUri !== "string" || !isAllowedKeyUrl(jwksUri)) {
      throw new Error("discovery: jwks_uri is missing or not https");
    }
    return jwksUri;
  }

  async #getJson(url: string): Promise<unknown> {
    const response = await this.#fetch(url, {
      headers: { accept: "application/json" },
      // workerd has no "error" mode; a redirect is a non-2xx status here and fails below.
      redirect: "manual",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`${url} answered ${response.status}`);
    }
    const text = await response.text();
    if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`${url}: document too large`);
    return JSON.parse(text) as unknown;
  }
}

/** Public signature keys only: symmetric keys and private parts are dropped. */
export function parseJwks(document: unknown): JSONWebKeySet {
  if (
    typeof document !== "object" ||
    document === null ||
    !Array.isArray((document as { keys?: unknown }).keys)
  ) {
    throw new Error("JWKS: no keys array");
  }
  const keys: JWK[] = [];
  for (const candidate of (document as { keys: unknown[] }).keys.slice(0, MAX_KEYS)) {
    if (typeof candidate !== "object" || candidate === null) continue;
    const jwk = candidate as JWK;
    if (jwk.kty !== "RSA" && jwk.kty !== "EC" && jwk.kty !== "OKP") continue;
    if (jwk.use !== undefined && jwk.use !== "sig") continue;
    keys.push(publicPart(jwk));
  }
  return { keys };
}

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

export function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  return copy as JWK;
}

function isAllowedKeyUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol === "https:") return true;
    return (
      url.protocol === "http:" &&
      (url.hostname === "localhost" || url.hostname === "[::1]" || /^127\./.test(url.hostname))
    );
  } catch {
    return false;
  }
}

function toAuthError(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWKSNoMatchingKey)
    return new AuthError("no signing key matches the token's kid");
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError("the token names no kid and several keys match");
  }
  if (error instanceof errors.JOSENotSupported || error instanceof errors.JWKInvalid) {
    return new AuthError("the token's key or algorithm is not supported", { internal: String(error) });
  }
  return new AuthError("the token could not be verified", { internal: String(error) });
}
