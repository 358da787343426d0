// The JWT test matrix: one case per check, each with a real token from the
// loopback OIDC provider (oauth2-mock-server, its own keys and JWKS), sent to
// the gateway's REST API. Every refusal must be a 401 problem+json with a
// WWW-Authenticate challenge, never a 500.
import { base64url, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { AUDIENCE, callWith, expectUnauthorized, gateway, idp, idpToken } from "../support/tokens.ts";

const now = () => Math.floor(Date.now() / 1000);

function encode(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

async function expectAccepted(token: string): Promise<void> {
  const response = await callWith(token);
  expect(response.status, await response.clone().text()).toBe(200);
}

async function expectRefused(token: string, reason: RegExp): Promise<void> {
  const { challenge, detail } = await expectUnauthorized(await callWith(token));
  expect(challenge).toMatch(
    /^Bearer resource_metadata="http:\/\/gateway\.test\/\.well-known\/oauth-protected-resource"/,
  );
  expect(challenge).toContain('error="invalid_token"');
  expect(detail).toMatch(reason);
}

describe("JWT matrix against a real OIDC provider", () => {
  it("accepts a valid RS256 token", async () => {
    await expectAccepted(await idpToken({ kid: "rs256" }));
  });

  it("accepts a valid ES256 token", async () => {
    await expectAccepted(await idpToken({ kid: "es256" }));
  });

  it("refuses alg: none", async () => {
    const unsigned = `${encode({ alg: "none", typ: "JWT" })}.${encode({
      iss: idp.main,
      sub: "mallory",
      aud: AUDIENCE,
      exp: now() + 300,
    })}.`;
    await expectRefused(unsigned, /not a signed JWT/);
    // Even with something in the signature segment.
    await expectRefused(`${unsigned}c2lnbmF0dXJl`, /not signed/);
  });

  it("refuses HS256 signed with the issuer's public key", async () => {
    const jwks = (await (await fetch(`${idp.main}/jwks`)).json()) as { keys: { kid: string }[] };
    const publicKey = jwks.keys.find((key) => key.kid === "rs256");
    const secret = new TextEncoder().encode(JSON.stringify(publicKey));
    const forged = await new SignJWT({ sub: "mallory" })
      .setProtectedHeader({ alg: "HS256", kid: "rs256" })
      .setIssuer(idp.main)
      .setAudience(AUDIENCE)
      .setExpirationTime(now() + 300)
      .sign(secret);
    await expectRefused(forged, /algorithm HS256 is not allowed/);
  });

  it("refuses an algorithm outside the allowlist (RS512 from the issuer's own JWKS)", async () => {
    await expectRefused(await idpToken({ kid: "rs512" }), /algorithm RS512 is not allowed/);
  });

  it("refuses a wrong signature", async () => {
    const [header, payload] = (await idpToken({ kid: "rs256" })).split(".");
    const other = (await idpToken({ kid: "rs256", claims: { sub: "someone-else" } })).split(".")[2];
    await expectRefused(`${header}.${payload}.${other}`, /signature is invalid/);
  });

  it("refuses a wrong iss", async () => {
    await expectRefused(
      await idpToken({ claims: { iss: "http://127.0.0.1:1/not-trusted" } }),
      /issuer is not trusted/,
    );
  });

  it("refuses a token without aud", async () => {
    await expectRefused(await idpToken({ omit: ["aud"] }), /audience/);
  });

  it("refuses a wrong aud", async () => {
    await expectRefused(await idpToken({ claims: { aud: "http://other.example" } }), /audience/);
  });

  it("refuses an aud array without ours, accepts one with ours", async () => {
    await expectRefused(
      await idpToken({ claims: { aud: ["http://a.example", "http://b.example"] } }),
      /audience/,
    );
    await expectAccepted(await idpToken({ claims: { aud: ["http://a.example", AUDIENCE] } }));
  });

  it("refuses an expired token", async () => {
    await expectRefused(await idpToken({ claims: { exp: now() - 3600, iat: now() - 7200 } }), /expired/);
  });

  it("refuses nbf in the future", async () => {
    await expectRefused(await idpToken({ claims: { nbf: now() + 600 } }), /not valid yet/);
  });

  it("refuses expiry beyond the clock skew (60 s)", async () => {
    await expectRefused(await idpToken({ claims: { exp: now() - 90 } }), /expired/);
    await expectRefused(await idpToken({ claims: { nbf: now() + 90 } }), /not valid yet/);
  });

  it("accepts expiry and nbf within the clock skew", async () => {
    await expectAccepted(await idpToken({ claims: { exp: now() - 20 } }));
    await expectAccepted(await idpToken({ claims: { nbf: now() + 20 } }));
  });

  it("refuses a token without exp", async () => {
    await expectRefused(await idpToken({ omit: ["exp"] }), /expiry/);
  });

  it("refuses malformed tokens", async () => {
    for (const token of [
      "abc",
      "a.b",
      "a.b.c",
      `${encode({ alg: "RS256" })}.bm90LWpzb24.c2ln`,
      "a.b.c.d.e",
    ]) {
      await expectRefused(token, /malformed|not a signed JWT/);
    }
  });

  it("refuses oversized tokens before verifying them", async () => {
    await expectRefused("a".repeat(9000), /larger than 8192 bytes/);
    const padded = await idpToken({ claims: { padding: "x".repeat(9000) } });
    await expectRefused(padded, /larger than 8192 bytes/);
  });

  it("refuses a token in the query string, even a valid one", async () => {
    const token = await idpToken();
    const { challenge, detail } = await expectUnauthorized(
      await gateway(`/api/v1/servers?access_token=${encodeURIComponent(token)}`),
    );
    expect(challenge).toContain('error="invalid_request"');
    expect(detail).toMatch(/query string/);
  });

  it("challenges a request without credentials (no error code)", async () => {
    const { challenge } = await expectUnauthorized(await gateway("/api/v1/servers"));
    expect(challenge).toBe(
      'Bearer resource_metadata="http://gateway.test/.well-known/oauth-protected-resource"',
    );
  });

  it("refuses other authorization schemes", async () => {
    const { challenge } = await expectUnauthorized(
      await gateway("/api/v1/servers", { headers: { authorization: "Basic YWRtaW46YWRtaW4=" } }),
    );
    expect(challenge).toContain('error="invalid_request"');
  });
});
