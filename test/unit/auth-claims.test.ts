// Claims to Principal, per IdP preset, with access-token shapes as each IdP
// documents them (user and client-credentials tokens).
import { describe, expect, it } from "vitest";
import { principalFromClaims, readClaim } from "../../worker/auth/claims.ts";
import { AuthError } from "../../worker/auth/errors.ts";
import { AuthIssuersSetting, type IssuerConfig } from "../../worker/auth/issuers.ts";
import { defaultAudiences, metadataUrl, resourcePath } from "../../worker/http/resource.ts";

function issuer(entry: Record<string, unknown>): IssuerConfig {
  const [config] = AuthIssuersSetting.parse(JSON.stringify([entry]));
  if (!config) throw new Error("no issuer parsed");
  return config;
}

const keycloak = issuer({ preset: "keycloak", issuer: "https://kc.example/realms/acme" });
const cognito = issuer({
  preset: "cognito",
  issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc",
  audiences: ["app-client"],
});
const entra = issuer({
  preset: "entra",
  issuer: "https://login.microsoftonline.com/tid/v2.0",
  tenantClaim: "tid",
});
const auth0 = issuer({ preset: "auth0", issuer: "https://acme.eu.auth0.com/" });
const okta = issuer({ preset: "okta", issuer: "https://acme.okta.com/oauth2/default" });

describe("claims to principal", () => {
  it("Keycloak user: groups, preferred_username, scope", () => {
    const principal = principalFromClaims(keycloak, {
      sub: "f1c2",
      azp: "mcp-cli",
      preferred_username: "alice",
      groups: ["mcp-registry-admin", "lob1"],
      scope: "openid profile servers/read",
    });
    expect(principal).toEqual({
      subject: "f1c2",
      issuer: "https://kc.example/realms/acme",
      tenant: "default",
      groups: ["mcp-registry-admin", "lob1"],
      scopes: ["openid", "profile", "servers/read"],
      kind: "user",
      name: "alice",
    });
  });

  it("Keycloak service account is a machine; realm roles via a dotted path", () => {
    const roles = issuer({
      preset: "keycloak",
      issuer: "https://kc.example/realms/bots",
      groupsClaim: "realm_access.roles",
    });
    const principal = principalFromClaims(roles, {
      sub: "9a7b",
      azp: "lob1-bot",
      preferred_username: "service-account-lob1-bot",
      realm_access: { roles: ["registry-users-lob1", 42] },
    });
    expect(principal.kind).toBe("machine");
    expect(principal.groups).toEqual(["registry-users-lob1"]);
  });

  it("Cognito: cognito:groups and username; client credentials have sub = client_id", () => {
    const user = principalFromClaims(cognito, {
      sub: "aaaa-bbbb",
      client_id: "app-client",
      username: "carol",
      "cognito:groups": ["analysts"],
      scope: "aws.cognito.signin.user.admin",
    });
    expect(user).toMatchObject({ kind: "user", name: "carol", groups: ["analysts"] });
    const machine = principalFromClaims(cognito, {
      sub: "app-client",
      client_id: "app-client",
      scope: "gateway/servers.read",
    });
    expect(machine).toMatchObject({
      kind: "machine",
      subject: "app-client",
      scopes: ["gateway/servers.read"],
    });
  });

  it("Entra ID: roles, scp, tenant from tid; app-only tokens are machines", () => {
    const user = principalFromClaims(entra, {
      sub: "s1",
      oid: "o1",
      tid: "contoso",
      preferred_username: "dave@contoso.com",
      roles: ["Gateway.Admin"],
      scp: "access_as_user",
    });
    expect(user).toMatchObject({ tenant: "contoso", groups: ["Gateway.Admin"], scopes: ["access_as_user"] });
    expect(user.kind).toBe("user");
    const app = principalFromClaims(entra, {
      sub: "o2",
      oid: "o2",
      tid: "contoso",
      azp: "c2",
      idtyp: "app",
      roles: [],
    });
    expect(app.kind).toBe("machine");
    expect(() => principalFromClaims(entra, { sub: "s1" })).toThrow(AuthError);
  });

  it("Auth0: client credentials (gty) and permissions", () => {
    const machine = principalFromClaims(auth0, {
      sub: "abc@clients",
      azp: "abc",
      gty: "client-credentials",
      permissions: ["read:servers"],
      scope: "read:servers",
    });
    expect(machine).toMatchObject({ kind: "machine", groups: ["read:servers"], scopes: ["read:servers"] });
  });

  it("Okta: scp as an array, cid for client credentials", () => {
    const machine = principalFromClaims(okta, {
      sub: "0oa1",
      cid: "0oa1",
      scp: ["servers.read", "servers.call"],
    });
    expect(machine).toMatchObject({ kind: "machine", scopes: ["servers.read", "servers.call"] });
    const user = principalFromClaims(okta, {
      sub: "erin@acme.com",
      cid: "0oa1",
      groups: "Everyone",
      scp: ["openid"],
    });
    expect(user).toMatchObject({ kind: "user", name: "erin@acme.com", groups: ["Everyone"] });
  });

  it("reads namespaced claims with dots literally before trying a path", () => {
    expect(readClaim({ "https://acme.example/groups": ["a"] }, "https://acme.example/groups")).toEqual(["a"]);
    expect(readClaim({ a: { b: { c: 1 } } }, "a.b.c")).toBe(1);
    expect(readClaim({ a: [{ b: 1 }] }, "a.0.b")).toBeUndefined();
    expect(readClaim({}, "constructor")).toBeUndefined();
  });

  it("refuses a token with no subject and no client", () => {
    expect(() => principalFromClaims(keycloak, { scope: "x" })).toThrow(/no subject/);
  });
});

describe("resources and audiences", () => {
  it("maps request paths to protected resources", () => {
    expect(resourcePath("/api/v1/servers")).toBe("");
    expect(resourcePath("/mcp")).toBe("/mcp");
    expect(resourcePath("/github/mcp")).toBe("/github/mcp");
    expect(resourcePath("/github/mcp/extra")).toBe("/github/mcp");
    expect(resourcePath("/github/mcpx")).toBe("");
    expect(metadataUrl("https://gw.example", "/github/mcp")).toBe(
      "https://gw.example/.well-known/oauth-protected-resource/github/mcp",
    );
  });

  it("accepts the gateway's own audience everywhere and a server's audience only at that server", () => {
    expect(defaultAudiences("https://gw.example", "/api/v1/servers")).toEqual(["https://gw.example"]);
    expect(defaultAudiences("https://gw.example", "/github/mcp")).toEqual([
      "https://gw.example",
      "https://gw.example/github/mcp",
    ]);
  });
});
