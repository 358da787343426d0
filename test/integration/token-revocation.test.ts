// Revocation across isolates: two TokenService instances (two isolates) share
// real D1. One revokes; the other, which had the token cached as active,
// refuses it once its cached lookup is REVOCATION_TTL_MS old.
import { env } from "cloudflare:workers";
import type { JWK } from "jose";
import { describe, expect, it } from "vitest";
import { AuthError } from "../../worker/auth/errors.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { signingKeys } from "../../worker/auth/signing-keys.ts";
import { REVOCATION_TTL_MS, TokenService } from "../../worker/auth/token-service.ts";
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
    time.now += REVOCATION_TTL_MS - 1;
    expect((await b.principalFor(claims, ISSUER)).subject).toBe("revoker");
    // ...and refuses the token once that answer has expired.
    time.now += 1;
    await expect(b.principalFor(claims, ISSUER)).rejects.toThrow(AuthError);
    await expect(b.principalFor(claims, ISSUER)).rejects.toThrow(/revoked/);
  });
});
