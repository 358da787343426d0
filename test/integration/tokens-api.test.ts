// Token vending end to end: a user signed in at the loopback IdP mints
// personal access tokens, uses, lists and revokes them; the gateway's tokens
// are verified like any issuer's (ES256, keys at /.well-known/jwks.json).
import { env } from "cloudflare:workers";
import { importJWK, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { D1TokenStore } from "../../worker/store/d1/d1-token-store.ts";
import { devAdminToken, fieldsOf, problemOf } from "../support/api.ts";
import { AUDIENCE, callWith, expectUnauthorized, gateway, idp, idpToken, whoami } from "../support/tokens.ts";

const GATEWAY_ISSUER = AUDIENCE;
let subjects = 0;

/** An IdP user holding the given scopes (and, optionally, groups). */
async function userToken(scopes: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const subject = `user-${Date.now().toString(36)}-${subjects++}`;
  return idpToken({
    claims: { sub: subject, preferred_username: subject, scope: scopes.join(" "), ...extra },
  });
}

async function mint(token: string, body: unknown): Promise<Response> {
  return gateway("/api/v1/tokens", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

interface Minted {
  id: string;
  token: string;
  scopes: string[];
  groups: string[];
  expiresAt: string;
  active: boolean;
}

async function mintOk(token: string, body: unknown): Promise<Minted> {
  const response = await mint(token, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Minted;
}

describe("personal access tokens", () => {
  it("mints a token with a subset of the caller's scopes and no groups", async () => {
    const owner = await userToken(["servers/read", "servers/write"], { groups: ["mcp-registry-admin"] });
    const minted = await mintOk(owner, { name: "ci", scopes: ["servers/read"], expiresIn: 3600 });
    expect(minted.scopes).toEqual(["servers/read"]);
    expect(minted.groups).toEqual([]);
    expect(Date.parse(minted.expiresAt) - Date.now()).toBeLessThanOrEqual(3600_000);

    const principal = await whoami(minted.token);
    const ownerPrincipal = await whoami(owner);
    expect(principal).toMatchObject({
      subject: ownerPrincipal.subject,
      issuer: idp.main,
      tenant: "default",
      groups: [],
      scopes: ["servers/read"],
      kind: "user",
      credential: "personal-token",
    });
  });

  it("lists the caller's tokens without their values", async () => {
    const owner = await userToken(["servers/read"]);
    const minted = await mintOk(owner, { name: "laptop", scopes: ["servers/read"] });
    const response = await gateway("/api/v1/tokens", { headers: { authorization: `Bearer ${owner}` } });
    const { items } = (await response.json()) as { items: (Minted & { name: string })[] };
    expect(items.map((item) => [item.id, item.name, item.active])).toEqual([[minted.id, "laptop", true]]);
    expect(JSON.stringify(items)).not.toContain(minted.token);
    // Somebody else sees none of them.
    const other = await gateway("/api/v1/tokens", {
      headers: { authorization: `Bearer ${await userToken(["servers/read"])}` },
    });
    expect(((await other.json()) as { items: unknown[] }).items).toEqual([]);
  });

  it("refuses a revoked vended token", async () => {
    const owner = await userToken(["servers/read"]);
    const minted = await mintOk(owner, { name: "to-revoke", scopes: ["servers/read"] });
    expect((await callWith(minted.token)).status).toBe(200);

    const revoke = () =>
      gateway(`/api/v1/tokens/${minted.id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${owner}` },
      });
    expect((await revoke()).status).toBe(204);
    expect((await revoke()).status).toBe(204);

    const { challenge, detail } = await expectUnauthorized(await callWith(minted.token));
    expect(challenge).toContain('error="invalid_token"');
    expect(detail).toMatch(/revoked/);
  });

  it("lets nobody but the owner revoke a token", async () => {
    const minted = await mintOk(await userToken(["servers/read"]), {
      name: "mine",
      scopes: ["servers/read"],
    });
    const stranger = await userToken(["servers/read"]);
    const response = await gateway(`/api/v1/tokens/${minted.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${stranger}` },
    });
    expect(response.status).toBe(404);
    expect((await callWith(minted.token)).status).toBe(200);
  });

  it("refuses scopes that are not a subset of the caller's own (403 naming them)", async () => {
    const owner = await userToken(["servers/read"]);
    const response = await mint(owner, { name: "greedy", scopes: ["servers/read", "mcp-registry-admin"] });
    expect(response.status).toBe(403);
    const problem = await problemOf(response);
    expect(fieldsOf(problem)).toEqual(["scopes.1"]);
  });

  it("refuses a lifetime over the maximum (422 on expiresIn)", async () => {
    const owner = await userToken(["servers/read"]);
    const response = await mint(owner, {
      name: "forever",
      scopes: ["servers/read"],
      expiresIn: 91 * 24 * 3600,
    });
    expect(response.status).toBe(422);
    expect(fieldsOf(await problemOf(response))).toEqual(["expiresIn"]);
  });

  it("validates the request body", async () => {
    const owner = await userToken(["servers/read"]);
    const response = await mint(owner, { name: "", scopes: [], expiresIn: 10, extra: true });
    expect(response.status).toBe(422);
    expect(fieldsOf(await problemOf(response))).toEqual(["expiresIn", "extra", "name", "scopes"]);
  });

  it("does not let a personal access token mint more tokens", async () => {
    const minted = await mintOk(await userToken(["servers/read"]), { name: "pat", scopes: ["servers/read"] });
    const response = await mint(minted.token, { name: "child", scopes: ["servers/read"] });
    expect(response.status).toBe(403);
  });

  it("rate limits minting per subject (10 a minute)", async () => {
    const owner = await userToken(["servers/read"]);
    for (let i = 0; i < 10; i++) await mintOk(owner, { name: `t${i}`, scopes: ["servers/read"] });
    const response = await mint(owner, { name: "one-too-many", scopes: ["servers/read"] });
    expect(response.status).toBe(429);
    // Others are not affected.
    await mintOk(await userToken(["servers/read"]), { name: "other", scopes: ["servers/read"] });
  });

  it("refuses a gateway-signed token that the gateway never vended", async () => {
    const key = await importJWK(JSON.parse(env.TOKEN_SIGNING_KEY ?? "{}") as JWK, "ES256");
    const forged = await new SignJWT({ tenant: "default", token_use: "pat" })
      .setProtectedHeader({ alg: "ES256", kid: "test-current" })
      .setIssuer(GATEWAY_ISSUER)
      .setAudience(GATEWAY_ISSUER)
      .setSubject("mallory")
      .setJti(crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
    const { detail } = await expectUnauthorized(await callWith(forged));
    expect(detail).toMatch(/not known/);
  });

  it("keeps accepting tokens signed with the previous key, and publishes both keys", async () => {
    const jwks = (await (await gateway("/.well-known/jwks.json")).json()) as { keys: JWK[] };
    expect(jwks.keys.map((key) => [key.kid, key.alg, key.kty, key.crv])).toEqual([
      ["test-current", "ES256", "EC", "P-256"],
      ["test-previous", "ES256", "EC", "P-256"],
    ]);
    expect(jwks.keys.some((key) => "d" in key)).toBe(false);

    const record = {
      id: crypto.randomUUID(),
      tenant: "default",
      ownerIssuer: GATEWAY_ISSUER,
      subject: "rotated-user",
      name: "before-rotation",
      scopes: ["servers/read"],
      groups: [],
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
      revokedAt: null,
    };
    await new D1TokenStore(env.DB).insertToken(record);
    const previous = await importJWK(JSON.parse(env.TOKEN_SIGNING_KEY_PREVIOUS ?? "{}") as JWK, "ES256");
    const token = await new SignJWT({ tenant: "default", token_use: "pat", scope: "servers/read" })
      .setProtectedHeader({ alg: "ES256", kid: "test-previous" })
      .setIssuer(GATEWAY_ISSUER)
      .setAudience(GATEWAY_ISSUER)
      .setSubject("rotated-user")
      .setJti(record.id)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(previous);
    expect((await whoami(token)).scopes).toEqual(["servers/read"]);
  });

  it("gives the development admin a token standing for the admin group", async () => {
    const principal = await whoami(await devAdminToken());
    expect(principal).toMatchObject({
      subject: env.DEV_ADMIN_USERNAME,
      issuer: GATEWAY_ISSUER,
      groups: ["mcp-registry-admin"],
      credential: "dev-login",
    });
  });
});
