// The JWKS cache against issuers that misbehave on purpose (a loopback host
// the tests control): key rotation with a rate-limited refetch on unknown
// kids, an endpoint that goes down after keys were cached, and one that never
// served keys at all. Each issuer is configured with a 1 s cooldown.
import { describe, expect, it } from "vitest";
import {
  callWith,
  controlIssuer,
  controlledToken,
  expectUnauthorized,
  jwksFetches,
  sleep,
} from "../support/tokens.ts";

const COOLDOWN_MS = 1_100;

describe("JWKS cache", () => {
  it("refetches once on an unknown kid after a rotation, and no more than once per cooldown", async () => {
    await controlIssuer("rotating", "publish", { kids: ["k1"] });
    const before = await jwksFetches("rotating");

    expect((await callWith(await controlledToken("rotating", "k1"))).status).toBe(200);
    expect(await jwksFetches("rotating")).toBe(before + 1);

    // The IdP rotates to k2; the first k2 token makes the gateway refetch.
    await controlIssuer("rotating", "publish", { kids: ["k2"] });
    await sleep(COOLDOWN_MS);
    const rotated = await controlledToken("rotating", "k2");
    expect((await callWith(rotated)).status).toBe(200);
    expect(await jwksFetches("rotating")).toBe(before + 2);
    expect((await callWith(rotated)).status).toBe(200);
    expect(await jwksFetches("rotating")).toBe(before + 2);

    // A flood of tokens naming a kid the IdP does not publish costs at most one fetch per cooldown.
    const unknown = await controlledToken("rotating", "k3");
    for (let i = 0; i < 5; i++) {
      const { detail } = await expectUnauthorized(await callWith(unknown));
      expect(detail).toMatch(/no signing key matches/);
    }
    expect(await jwksFetches("rotating")).toBe(before + 2);
    await sleep(COOLDOWN_MS);
    await expectUnauthorized(await callWith(unknown));
    expect(await jwksFetches("rotating")).toBe(before + 3);

    // The retired key no longer verifies once the new set is cached.
    await expectUnauthorized(await callWith(await controlledToken("rotating", "k1")));
  });

  it("keeps using cached keys while the JWKS endpoint is down", async () => {
    await controlIssuer("flaky", "up");
    const token = await controlledToken("flaky", "k1");
    expect((await callWith(token)).status).toBe(200);
    const fetched = await jwksFetches("flaky");

    await controlIssuer("flaky", "down");
    try {
      // Past the 1 s max age the keys are stale: the refresh fails, the old keys still work.
      await sleep(COOLDOWN_MS);
      expect((await callWith(token)).status).toBe(200);
      expect(await jwksFetches("flaky")).toBe(fetched + 1);
      // An unknown kid while down: refused (401), not an error.
      const { detail } = await expectUnauthorized(await callWith(await controlledToken("flaky", "k2")));
      expect(detail).toMatch(/no signing key matches/);
    } finally {
      await controlIssuer("flaky", "up");
    }
  });

  it("fails closed when no keys were ever fetched, without hammering the endpoint", async () => {
    const before = await jwksFetches("dead");
    const token = await controlledToken("dead", "k1");
    for (let i = 0; i < 3; i++) {
      const { challenge, detail } = await expectUnauthorized(await callWith(token));
      expect(challenge).toContain('error="invalid_token"');
      expect(detail).toMatch(/signing keys are not available/);
    }
    expect(await jwksFetches("dead")).toBe(before + 1);
  });

  it("reads discovery for issuers without an explicit jwksUri (Cognito preset: client_id as audience)", async () => {
    const accepted = await controlledToken("cognito", "k1", {
      aud: undefined,
      client_id: "test-app-client",
      username: "carol",
      "cognito:groups": ["analysts"],
    });
    expect((await callWith(accepted)).status).toBe(200);
    const wrongClient = await controlledToken("cognito", "k1", {
      aud: undefined,
      client_id: "another-client",
    });
    const { detail } = await expectUnauthorized(await callWith(wrongClient));
    expect(detail).toMatch(/audience/);
  });

  it("refuses a token without the tenant claim its issuer requires (Keycloak preset, tenantClaim)", async () => {
    expect((await callWith(await controlledToken("keycloak", "k1", { org: "acme" }))).status).toBe(200);
    const { detail } = await expectUnauthorized(await callWith(await controlledToken("keycloak", "k1")));
    expect(detail).toMatch(/no tenant/);
  });
});
