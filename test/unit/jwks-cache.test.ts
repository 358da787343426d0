// The JWKS cache with a fake clock and a fake IdP (a fetch function), for
// timings the loopback tests cannot show cheaply: concurrent first requests,
// max age and cooldown boundaries, discovery mix-ups, key filtering.
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { AuthError } from "../../worker/auth/errors.ts";
import { JwksCache, type JwksSource, parseJwks } from "../../worker/auth/jwks-cache.ts";

const ISSUER = "https://idp.example";
let k1: JWK;
let k2: JWK;

beforeAll(async () => {
  k1 = { ...(await exportJWK((await generateKeyPair("ES256")).publicKey)), kid: "k1" };
  k2 = { ...(await exportJWK((await generateKeyPair("ES256")).publicKey)), kid: "k2" };
});

function fakeIdp(initial: { keys: JWK[]; up?: boolean; issuer?: string }) {
  const state = { keys: initial.keys, up: initial.up ?? true, issuer: initial.issuer ?? ISSUER, fetches: 0 };
  const fetcher = (async (input: RequestInfo | URL) => {
    const url = String(input);
    state.fetches++;
    await Promise.resolve();
    if (!state.up) return new Response("down", { status: 503 });
    if (url.endsWith("/.well-known/openid-configuration")) {
      return Response.json({ issuer: state.issuer, jwks_uri: `${ISSUER}/keys` });
    }
    return Response.json({ keys: state.keys });
  }) as typeof fetch;
  return { state, fetcher };
}

function clock() {
  const time = { now: 1_000_000 };
  return { time, now: () => time.now };
}

const source: JwksSource = {
  issuer: ISSUER,
  jwksUri: `${ISSUER}/keys`,
  maxAgeMs: 60_000,
  cooldownMs: 30_000,
};
const quiet = () => {};

describe("JwksCache", () => {
  it("lets concurrent first requests each fetch (never awaiting another's), then serves the kept keys", async () => {
    const idp = fakeIdp({ keys: [k1] });
    const cache = new JwksCache({ fetch: idp.fetcher, onFetchError: quiet });
    await Promise.all(Array.from({ length: 5 }, () => cache.keyFor(source, { alg: "ES256", kid: "k1" })));
    expect(idp.state.fetches).toBe(5);
    await Promise.all(Array.from({ length: 5 }, () => cache.keyFor(source, { alg: "ES256", kid: "k1" })));
    expect(idp.state.fetches).toBe(5);
  });

  it("refetches on an unknown kid only after the cooldown", async () => {
    const idp = fakeIdp({ keys: [k1] });
    const { time, now } = clock();
    const cache = new JwksCache({ fetch: idp.fetcher, now, onFetchError: quiet });
    await cache.keyFor(source, { alg: "ES256", kid: "k1" });
    idp.state.keys = [k1, k2];
    time.now += 29_999;
    await expect(cache.keyFor(source, { alg: "ES256", kid: "k2" })).rejects.toThrow(AuthError);
    expect(idp.state.fetches).toBe(1);
    time.now += 1;
    await cache.keyFor(source, { alg: "ES256", kid: "k2" });
    expect(idp.state.fetches).toBe(2);
  });

  it("refreshes after max age, and keeps the old keys when the refresh fails", async () => {
    const idp = fakeIdp({ keys: [k1] });
    const { time, now } = clock();
    const errors: unknown[] = [];
    const cache = new JwksCache({
      fetch: idp.fetcher,
      now,
      onFetchError: (_issuer, error) => errors.push(error),
    });
    await cache.keyFor(source, { alg: "ES256", kid: "k1" });
    time.now += 59_999;
    await cache.keyFor(source, { alg: "ES256", kid: "k1" });
    expect(idp.state.fetches).toBe(1);
    idp.state.up = false;
    time.now += 1;
    await cache.keyFor(source, { alg: "ES256", kid: "k1" });
    expect(idp.state.fetches).toBe(2);
    expect(errors).toHaveLength(1);
    // Still stale, but the cooldown holds further attempts back.
    time.now += 10_000;
    await cache.keyFor(source, { alg: "ES256", kid: "k1" });
    expect(idp.state.fetches).toBe(2);
  });

  it("fails closed without keys and retries only after the cooldown", async () => {
    const idp = fakeIdp({ keys: [k1], up: false });
    const { time, now } = clock();
    const cache = new JwksCache({ fetch: idp.fetcher, now, onFetchError: quiet });
    await expect(cache.keyFor(source, { alg: "ES256", kid: "k1" })).rejects.toThrow(/not available/);
    await expect(cache.keyFor(source, { alg: "ES256", kid: "k1" })).rejects.toThrow(/not available/);
    expect(idp.state.fetches).toBe(1);
    idp.state.up = true;
    time.now += 30_000;
    await cache.keyFor(source, { alg: "ES256", kid: "k1" });
    expect(idp.state.fetches).toBe(2);
  });

  it("discovers the JWKS and refuses metadata about another issuer", async () => {
    const discovered = { ...source, jwksUri: null };
    const good = fakeIdp({ keys: [k1] });
    await new JwksCache({ fetch: good.fetcher, onFetchError: quiet }).keyFor(discovered, {
      alg: "ES256",
      kid: "k1",
    });
    expect(good.state.fetches).toBe(2);

    const mixedUp = fakeIdp({ keys: [k1], issuer: "https://evil.example" });
    const cache = new JwksCache({ fetch: mixedUp.fetcher, onFetchError: quiet });
    await expect(cache.keyFor(discovered, { alg: "ES256", kid: "k1" })).rejects.toThrow(/not available/);
  });

  it("keeps only public signature keys", () => {
    const jwks = parseJwks({
      keys: [
        { ...k1, d: "private-part" },
        { kty: "oct", k: "c2VjcmV0", kid: "hmac" },
        { ...k2, use: "enc" },
        "garbage",
      ],
    });
    expect(jwks.keys.map((key) => key.kid)).toEqual(["k1"]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
    expect(() => parseJwks({ nokeys: [] })).toThrow();
  });
});
