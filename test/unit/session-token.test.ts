import { describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { openSessionValue, type SessionBinding, sealSessionValue } from "../../worker/proxy/session-token.ts";

const secret = "unit-test-session-secret-0123456789abcdef";
const alice: Principal = {
  subject: "alice",
  issuer: "https://idp",
  tenant: "t",
  groups: [],
  scopes: [],
  kind: "user",
};
const binding: SessionBinding = { purpose: "streamable-session", serverId: "srv-1", principal: alice };

describe("session tokens", () => {
  it("round-trips the bound value for the same caller and server", async () => {
    const token = await sealSessionValue(secret, binding, "upstream-session-abc");
    expect(token).not.toContain("upstream-session-abc");
    expect(await openSessionValue(secret, binding, token)).toBe("upstream-session-abc");
  });

  it("refuses another identity, another server, another purpose, another secret", async () => {
    const token = await sealSessionValue(secret, binding, "s");
    const bob = { ...alice, subject: "bob" };
    const otherIssuer = { ...alice, issuer: "https://other-idp" };
    expect(await openSessionValue(secret, { ...binding, principal: bob }, token)).toBeNull();
    expect(await openSessionValue(secret, { ...binding, principal: otherIssuer }, token)).toBeNull();
    expect(await openSessionValue(secret, { ...binding, serverId: "srv-2" }, token)).toBeNull();
    expect(await openSessionValue(secret, { ...binding, purpose: "legacy-endpoint" }, token)).toBeNull();
    expect(await openSessionValue(`${secret}x`, binding, token)).toBeNull();
  });

  it("refuses altered and malformed tokens", async () => {
    const token = await sealSessionValue(secret, binding, "session");
    const [version, value, mac] = token.split(".");
    const forgedValue = btoa("other").replace(/=+$/, "");
    for (const bad of [
      `${version}.${forgedValue}.${mac}`,
      `${token}.x`,
      "g1..",
      "nonsense",
      `g2.${value}.${mac}`,
      "g1.!!.??",
    ]) {
      expect(await openSessionValue(secret, binding, bad)).toBeNull();
    }
  });
});
