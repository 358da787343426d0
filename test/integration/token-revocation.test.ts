// Revocation across isolates: two TokenService instances (two isolates) share
// real D1. One revokes; the other, which had the token cached as active,
// refuses it once its cached lookup is REVOCATION_TTL_MS old (sooner when it
// is used past half that time: one request then reads the row ahead). The same holds
// through the Authenticator's cache of verified tokens (the signature check is
// skipped for a known token; its stored row never is).
import { env } from "cloudflare:workers";
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { Authenticator } from "../../worker/auth/authenticator.ts";
import { AuthError } from "../../worker/auth/errors.ts";
import { JwksCache } from "../../worker/auth/jwks-cache.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { signingKeys } from "../../worker/auth/signing-keys.ts";
import { REVOCATION_TTL_MS, TokenService } from "../../worker/auth/token-service.ts";
import { loadConfig } from "../../worker/env.ts";
import { D1TokenStore } from "../../worker/store/d1/d1-token-store.ts";

const ISSUER = "http://gateway.test";

async function isolate(time: { now: number }) {
  const key = JSON.parse(env.TOKEN_SIGNING_KEY ?? "{}") as JWK;
  return new TokenService({
    store: new D1TokenStore(env.DB),
    keys: () => signingKeys(key, null),
    maxLifetimeSeconds: 3600,
    mintsPerMinute: 10,
    now: () => time.now,
  });
}

/** An Authenticator over `tokens` that counts how often the signing keys were needed (a signature check). */
function countingAuthenticator(tokens: TokenService, time: { now: number }) {
  const key = JSON.parse(env.TOKEN_SIGNING_KEY ?? "{}") as JWK;
  let loads = 0;
  const authenticator = new Authenticator({
    settings: loadConfig(env).auth,
    publicUrl: null,
    jwks: new JwksCache(),
    tokens,
    keys: () => {
      loads += 1;
      return signingKeys(key, null);
    },
    now: () => time.now,
  });
  return { authenticator, keyLoads: () => loads };
}

const OWNER: Principal = {
  subject: "revoker",
  issuer: "https://idp.example",
  tenant: "default",
  groups: [],
  scopes: ["servers/read"],
  kind: "user",
};

describe("revocation", () => {
  it("reaches another isolate within the cache TTL", async () => {
    const time = { now: Date.now() };
    const [a, b] = [await isolate(time), await isolate(time)];
    const owner: Principal = {
      subject: "revoker",
      issuer: "https://idp.example",
      tenant: "default",
      groups: [],
      scopes: ["servers/read"],
      kind: "user",
    };
    const { record } = await a.mint(
      owner,
      { name: "shared", scopes: ["servers/read"] },
      ["servers/read"],
      ISSUER,
    );
    const claims = { jti: record.id, sub: "revoker", tenant: "default", token_use: "pat" };

    expect((await b.principalFor(claims, ISSUER)).scopes).toEqual(["servers/read"]);
    await a.revoke(owner, record.id);
    // The revoking isolate knows at once.
    await expect(a.principalFor(claims, ISSUER)).rejects.toThrow(/revoked/);
    // The other still trusts its cached answer for a moment...
    time.now += REVOCATION_TTL_MS / 2 - 1;
    expect((await b.principalFor(claims, ISSUER)).subject).toBe("revoker");
    // ...and, used past half the TTL, reads the row ahead and refuses the token.
    time.now += 1;
    await expect(b.principalFor(claims, ISSUER)).rejects.toThrow(AuthError);
    await expect(b.principalFor(claims, ISSUER)).rejects.toThrow(/revoked/);
  });

  it("reaches an isolate that was not used meanwhile once its cached answer has expired", async () => {
    const time = { now: Date.now() };
    const [a, b] = [await isolate(time), await isolate(time)];
    const { record } = await a.mint(
      OWNER,
      { name: "idle", scopes: ["servers/read"] },
      ["servers/read"],
      ISSUER,
    );
    const claims = { jti: record.id, sub: "revoker", tenant: "default", token_use: "pat" };
    expect((await b.principalFor(claims, ISSUER)).subject).toBe("revoker");
    await a.revoke(OWNER, record.id);
    time.now += REVOCATION_TTL_MS;
    await expect(b.principalFor(claims, ISSUER)).rejects.toThrow(/revoked/);
  });

  it("reads a row ahead from one request while the others keep the cached answer", async () => {
    const time = { now: Date.now() };
    const a = await isolate(time);
    const { record } = await a.mint(
      OWNER,
      { name: "ahead", scopes: ["servers/read"] },
      ["servers/read"],
      ISSUER,
    );
    let reads = 0;
    const store = new D1TokenStore(env.DB);
    const counting = new TokenService({
      store: Object.assign(Object.create(store) as D1TokenStore, {
        getToken: (tenant: string, id: string) => {
          reads += 1;
          return store.getToken(tenant, id);
        },
      }),
      keys: async () => null,
      maxLifetimeSeconds: 3600,
      mintsPerMinute: 10,
      now: () => time.now,
    });
    const claims = { jti: record.id, sub: "revoker", tenant: "default", token_use: "pat" };
    await counting.principalFor(claims, ISSUER);
    expect(reads).toBe(1);
    // Young: no read.
    time.now += REVOCATION_TTL_MS / 2 - 1;
    await Promise.all([1, 2, 3].map(() => counting.principalFor(claims, ISSUER)));
    expect(reads).toBe(1);
    // Past half its time: eight concurrent requests, one read.
    time.now += 2;
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => counting.principalFor(claims, ISSUER)));
    expect(reads).toBe(2);
  });
});

describe("verified token cache", () => {
  it("skips the signature check for a known token, yet a revocation still lands within REVOCATION_TTL_MS", async () => {
    const time = { now: Date.now() };
    const [a, b] = [await isolate(time), await isolate(time)];
    const { token, record } = await a.mint(
      OWNER,
      { name: "cached", scopes: ["servers/read"] },
      ["servers/read"],
      ISSUER,
    );
    const { authenticator, keyLoads } = countingAuthenticator(b, time);
    const url = `${ISSUER}/mcp`;
    expect((await authenticator.authenticate(token, url)).tokenId).toBe(record.id);
    const verifications = keyLoads();
    expect(verifications).toBeGreaterThan(0);
    expect((await authenticator.authenticate(token, url)).tokenId).toBe(record.id);
    // Served from the cache: no signature check (the signing keys were not needed).
    expect(keyLoads()).toBe(verifications);

    await a.revoke(OWNER, record.id);
    time.now += REVOCATION_TTL_MS / 2 - 1;
    expect((await authenticator.authenticate(token, url)).subject).toBe("revoker");
    time.now += 1;
    await expect(authenticator.authenticate(token, url)).rejects.toThrow(/revoked/);
    expect(keyLoads()).toBe(verifications);
  });

  it("checks a token again for another resource (its audience differs)", async () => {
    const time = { now: Date.now() };
    const a = await isolate(time);
    const { token } = await a.mint(
      OWNER,
      { name: "aud", scopes: ["servers/read"] },
      ["servers/read"],
      ISSUER,
    );
    const { authenticator, keyLoads } = countingAuthenticator(a, time);
    await authenticator.authenticate(token, `${ISSUER}/mcp`);
    const first = keyLoads();
    await authenticator.authenticate(token, `${ISSUER}/other/mcp`);
    expect(keyLoads()).toBeGreaterThan(first);
  });

  it("checks another token again, even one that differs by a character (the key is the raw token)", async () => {
    const time = { now: Date.now() };
    const a = await isolate(time);
    const mint = async (name: string) =>
      (await a.mint(OWNER, { name, scopes: ["servers/read"] }, ["servers/read"], ISSUER)).token;
    const [first, second] = [await mint("one"), await mint("two")];
    const { authenticator, keyLoads } = countingAuthenticator(a, time);
    const url = `${ISSUER}/mcp`;
    await authenticator.authenticate(first, url);
    const loads = keyLoads();
    await authenticator.authenticate(first, url);
    expect(keyLoads()).toBe(loads);
    await authenticator.authenticate(second, url);
    expect(keyLoads()).toBeGreaterThan(loads);
    // A cached token with its signature altered is not a hit: it is verified, and refused.
    const altered = `${first.slice(0, -2)}${first.endsWith("AA") ? "BB" : "AA"}`;
    await expect(authenticator.authenticate(altered, url)).rejects.toThrow();
  });
});
