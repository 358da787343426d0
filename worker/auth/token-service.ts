// Tokens the gateway signs itself (ES256): personal access tokens that users
// mint for scripts and agents, and development-login tokens. Every such token
// has a row in the TokenStore; a token whose row is missing or revoked is
// refused. Row lookups are cached per isolate for at most REVOCATION_TTL_MS,
// so a revocation reaches every isolate within that time.
import { type JWTPayload, SignJWT } from "jose";
import { GatewayError } from "../http/errors.ts";
import type { TokenOwner, TokenStore, VendedTokenRecord } from "../store/token-store.ts";
import { AuthError } from "./errors.ts";
import type { Principal } from "./principal.ts";
import { SIGNING_ALGORITHM, type SigningKeys } from "./signing-keys.ts";

/** How long an isolate trusts a "not revoked" answer. */
export const REVOCATION_TTL_MS = 5_000;
const REVOCATION_CACHE_MAX = 10_000;
const LIST_LIMIT = 100;
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;
export const DEV_LOGIN_LIFETIME_SECONDS = 12 * 3600;
/** The group a development-login token stands for (the seed's admin group). */
export const DEV_ADMIN_GROUP = "mcp-registry-admin";

export type TokenUse = "pat" | "dev-login";

export interface MintInput {
  name: string;
  scopes: string[];
  /** Lifetime in seconds. */
  expiresIn?: number | undefined;
}

export interface MintedToken {
  token: string;
  record: VendedTokenRecord;
}

export interface TokenServiceDeps {
  store: TokenStore;
  /** null when TOKEN_SIGNING_KEY is not set: nothing can be minted. */
  keys: () => Promise<SigningKeys | null>;
  maxLifetimeSeconds: number;
  mintsPerMinute: number;
  now?: () => number;
}

interface CachedLookup {
  record: VendedTokenRecord | null;
  until: number;
}

export class TokenService {
  readonly #deps: TokenServiceDeps;
  readonly #now: () => number;
  readonly #lookups = new Map<string, CachedLookup>();
  /** Rows a request of this isolate is reading ahead (see #lookup). */
  readonly #readingAhead = new Set<string>();

  constructor(deps: TokenServiceDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  get maxLifetimeSeconds(): number {
    return this.#deps.maxLifetimeSeconds;
  }

  /**
   * A personal access token for `owner`, carrying `scopes` (which must all be
   * among `ownScopes`, the owner's effective scopes) and no groups.
   */
  async mint(owner: Principal, input: MintInput, ownScopes: string[], issuer: string): Promise<MintedToken> {
    if (owner.credential === "personal-token") {
      throw new GatewayError("forbidden", { detail: "A personal access token cannot mint tokens" });
    }
    const lifetime =
      input.expiresIn ?? Math.min(DEFAULT_TOKEN_LIFETIME_SECONDS, this.#deps.maxLifetimeSeconds);
    if (lifetime > this.#deps.maxLifetimeSeconds) {
      throw new GatewayError("validation", {
        errors: [{ field: "expiresIn", message: `must be at most ${this.#deps.maxLifetimeSeconds} seconds` }],
      });
    }
    const held = new Set(ownScopes);
    const foreign = input.scopes.flatMap((scope, index) =>
      held.has(scope) ? [] : [{ field: `scopes.${index}`, message: `you do not hold the scope ${scope}` }],
    );
    if (foreign.length > 0) {
      throw new GatewayError("forbidden", {
        detail: "A token may only carry scopes you hold yourself",
        errors: foreign,
      });
    }
    return this.#issue(owner, {
      name: input.name,
      scopes: [...new Set(input.scopes)],
      groups: [],
      lifetime,
      use: "pat",
      issuer,
    });
  }

  /** A token for the development admin (the caller has checked the password). */
  devLogin(username: string, tenant: string, issuer: string): Promise<MintedToken> {
    const owner: Principal = { subject: username, issuer, tenant, groups: [], scopes: [], kind: "user" };
    return this.#issue(owner, {
      name: "dev-login",
      scopes: [],
      groups: [DEV_ADMIN_GROUP],
      lifetime: Math.min(DEV_LOGIN_LIFETIME_SECONDS, this.#deps.maxLifetimeSeconds),
      use: "dev-login",
      issuer,
    });
  }

  list(owner: Principal): Promise<VendedTokenRecord[]> {
    return this.#deps.store.listTokens(tokenOwner(owner), LIST_LIMIT);
  }

  async revoke(owner: Principal, id: string): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    const record = await this.#deps.store.revokeToken(tokenOwner(owner), id, at);
    if (!record) throw new GatewayError("not-found", { detail: "You have no token with this id" });
    this.#lookups.set(lookupKey(owner.tenant, id), { record, until: Number.POSITIVE_INFINITY });
  }

  /** The principal behind a verified gateway token, or AuthError when it is unknown or revoked. */
  async principalFor(claims: JWTPayload, gatewayIssuer: string): Promise<Principal> {
    const { jti, sub } = claims;
    const tenant = claims.tenant;
    if (typeof jti !== "string" || typeof sub !== "string" || typeof tenant !== "string") {
      throw new AuthError("the token lacks the gateway's claims");
    }
    const record = await this.#lookup(tenant, jti);
    if (!record || record.subject !== sub) throw new AuthError("the token is not known to the gateway");
    if (record.revokedAt !== null) throw new AuthError("the token has been revoked");
    const use: TokenUse = claims.token_use === "dev-login" ? "dev-login" : "pat";
    const principal: Principal = {
      subject: sub,
      // The stored owner, not a claim, says whose token this is.
      issuer: record.ownerIssuer || gatewayIssuer,
      tenant,
      // The stored row, not the token, says what the token may do.
      groups: [...record.groups],
      scopes: [...record.scopes],
      kind: claims.kind === "machine" ? "machine" : "user",
      credential: use === "dev-login" ? "dev-login" : "personal-token",
      tokenId: jti,
    };
    if (typeof claims.name === "string") principal.name = claims.name;
    return principal;
  }

  /** Forgets cached lookups (tests). */
  clearCache(): void {
    this.#lookups.clear();
    this.#readingAhead.clear();
  }

  async #issue(
    owner: Principal,
    spec: {
      name: string;
      scopes: string[];
      groups: string[];
      lifetime: number;
      use: TokenUse;
      issuer: string;
    },
  ): Promise<MintedToken> {
    const keys = await this.#deps.keys();
    if (!keys) {
      throw new GatewayError("unavailable", {
        detail: "This gateway vends no tokens (TOKEN_SIGNING_KEY is not set)",
      });
    }
    await this.#enforceRateLimit(owner);
    const nowMs = this.#now();
    const issuedAt = Math.floor(nowMs / 1000);
    const record: VendedTokenRecord = {
      id: crypto.randomUUID(),
      tenant: owner.tenant,
      ownerIssuer: owner.issuer,
      subject: owner.subject,
      name: spec.name,
      scopes: spec.scopes,
      groups: spec.groups,
      createdAt: new Date(nowMs).toISOString(),
      expiresAt: new Date((issuedAt + spec.lifetime) * 1000).toISOString(),
      revokedAt: null,
    };
    // The row exists before the token does: a token without a row is refused.
    await this.#deps.store.insertToken(record);
    const claims: JWTPayload = {
      tenant: owner.tenant,
      token_use: spec.use,
      owner_iss: owner.issuer,
      kind: owner.kind,
    };
    if (spec.scopes.length > 0) claims.scope = spec.scopes.join(" ");
    if (spec.groups.length > 0) claims.groups = spec.groups;
    if (owner.name) claims.name = owner.name;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: keys.kid, typ: "at+jwt" })
      .setIssuer(spec.issuer)
      .setSubject(owner.subject)
      .setAudience(spec.issuer)
      .setJti(record.id)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + spec.lifetime)
      .sign(keys.privateKey);
    return { token, record };
  }

  async #enforceRateLimit(owner: Principal): Promise<void> {
    const since = new Date(this.#now() - 60_000).toISOString();
    const recent = await this.#deps.store.countTokensSince(tokenOwner(owner), since);
    if (recent >= this.#deps.mintsPerMinute) {
      throw new GatewayError("too-many-requests", {
        detail: `At most ${this.#deps.mintsPerMinute} tokens per minute; try again shortly`,
      });
    }
  }

  async #lookup(tenant: string, id: string): Promise<VendedTokenRecord | null> {
    const key = lookupKey(tenant, id);
    const now = this.#now();
    const cached = this.#lookups.get(key);
    if (cached && cached.until > now) {
      // Read ahead: past half its time, one request reads the row again while the others keep
      // the answer (still within REVOCATION_TTL_MS); otherwise every request arriving while the
      // row was stale read it (a burst of D1 reads every 5 s under load, issue 10).
      if (cached.until - now > REVOCATION_TTL_MS / 2 || this.#readingAhead.has(key)) return cached.record;
      this.#readingAhead.add(key);
      try {
        return await this.#read(key, tenant, id, now);
      } catch {
        return cached.record;
      } finally {
        this.#readingAhead.delete(key);
      }
    }
    // Concurrent misses are not merged into one read: under workerd, a request awaiting a read
    // another request started would resume in that request's I/O context.
    return this.#read(key, tenant, id, now);
  }

  async #read(key: string, tenant: string, id: string, now: number): Promise<VendedTokenRecord | null> {
    const record = await this.#deps.store.getToken(tenant, id);
    // A revocation made here while the read was under way wins over what the read saw.
    const revokedMeanwhile = this.#lookups.get(key);
    if (revokedMeanwhile?.record?.revokedAt && !record?.revokedAt) return revokedMeanwhile.record;
    if (this.#lookups.size >= REVOCATION_CACHE_MAX) this.#evictOldest();
    // A revocation is final, so it is remembered; anything else is asked again after the TTL.
    const until = record?.revokedAt ? Number.POSITIVE_INFINITY : now + REVOCATION_TTL_MS;
    this.#lookups.delete(key);
    this.#lookups.set(key, { record, until });
    return record;
  }

  #evictOldest(): void {
    let drop = Math.ceil(REVOCATION_CACHE_MAX / 10);
    for (const key of this.#lookups.keys()) {
      if (drop-- <= 0) break;
      this.#lookups.delete(key);
    }
  }
}

function lookupKey(tenant: string, id: string): string {
  return `${tenant}\n${id}`;
}

function tokenOwner(principal: Principal): TokenOwner {
  return { tenant: principal.tenant, issuer: principal.issuer, subject: principal.subject };
}
