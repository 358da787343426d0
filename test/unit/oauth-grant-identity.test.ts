// What a token of the gateway's authorization server may do: its user's groups
// when the client asked for no policy scope; only the consented scopes (no
// groups) when it asked for some, even none at all, never more.
import { describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import {
  grantIdentity,
  grantUserId,
  isGrantIdentity,
  principalFromGrant,
} from "../../worker/oauth/grant-identity.ts";

const alice: Principal = {
  subject: "alice",
  issuer: "https://idp.example",
  tenant: "default",
  groups: ["mcp-registry-admin"],
  scopes: [],
  kind: "user",
  name: "alice",
};

describe("grant identity", () => {
  it("acts with the user's groups when the client asked for no scope", () => {
    const principal = principalFromGrant(grantIdentity(alice, false, ["ignored"]));
    expect(principal.groups).toEqual(["mcp-registry-admin"]);
    expect(principal.scopes).toEqual([]);
    expect(principal.credential).toBe("oauth");
    expect(principal.kind).toBe("user");
  });

  it("carries only the consented scopes, without groups, when the client asked for some", () => {
    const principal = principalFromGrant(grantIdentity(alice, true, ["servers/read"]));
    expect(principal.groups).toEqual([]);
    expect(principal.scopes).toEqual(["servers/read"]);
  });

  it("leaves a client that asked for scopes but got none with nothing", () => {
    const principal = principalFromGrant(grantIdentity(alice, true, []));
    expect(principal.groups).toEqual([]);
    expect(principal.scopes).toEqual([]);
  });

  it("names users by a stable id without ':' that differs per issuer and tenant", async () => {
    const id = await grantUserId(alice);
    expect(id).toMatch(/^u[A-Za-z0-9_-]{43}$/);
    expect(await grantUserId(alice)).toBe(id);
    expect(await grantUserId({ ...alice, issuer: "https://other.example" })).not.toBe(id);
    expect(await grantUserId({ ...alice, tenant: "acme" })).not.toBe(id);
  });

  it("recognises only well-formed stored identities", () => {
    expect(isGrantIdentity(grantIdentity(alice, false, []))).toBe(true);
    expect(isGrantIdentity({ subject: "x" })).toBe(false);
    expect(isGrantIdentity(null)).toBe(false);
  });
});
