import { describe, expect, it, vi } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import {
  forgetKnownSessionTokens,
  openSessionValue,
  type SessionBinding,
  sealSessionValue,
} from "../../worker/proxy/session-token.ts";

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

  it("signs and verifies a session's token once per isolate, and still refuses it to anyone else", async () => {
    forgetKnownSessionTokens();
    const sign = vi.spyOn(crypto.subtle, "sign");
    const verify = vi.spyOn(crypto.subtle, "verify");
    try {
      const token = await sealSessionValue(secret, binding, "cached-session");
      expect(await sealSessionValue(secret, binding, "cached-session")).toBe(token);
      for (let i = 0; i < 3; i++)
        expect(await openSessionValue(secret, binding, token)).toBe("cached-session");
      expect(sign).toHaveBeenCalledTimes(1);
      expect(verify).toHaveBeenCalledTimes(0);
      // Known to this isolate, but for alice and srv-1 only: everyone else is verified, and refused.
      const bob = { ...alice, subject: "bob" };
      expect(await openSessionValue(secret, { ...binding, principal: bob }, token)).toBeNull();
      expect(await openSessionValue(secret, { ...binding, serverId: "srv-2" }, token)).toBeNull();
      expect(await openSessionValue(`${secret}x`, binding, token)).toBeNull();
      expect(verify).toHaveBeenCalledTimes(3);

      // A token sealed by another isolate is verified once, then known.
      forgetKnownSessionTokens();
      expect(await openSessionValue(secret, binding, token)).toBe("cached-session");
      expect(await openSessionValue(secret, binding, token)).toBe("cached-session");
      expect(verify).toHaveBeenCalledTimes(4);
      // A failed verification is not remembered.
      const [version, , mac] = token.split(".");
      const forged = `${version}.${btoa("forged").replace(/=+$/, "")}.${mac}`;
      expect(await openSessionValue(secret, binding, forged)).toBeNull();
      expect(await openSessionValue(secret, binding, forged)).toBeNull();
      expect(verify).toHaveBeenCalledTimes(6);
      // A large token (big initialize params) is not kept: verified every time, never a stale hit.
      const large = await sealSessionValue(secret, binding, "x".repeat(2_000));
      expect(await openSessionValue(secret, binding, large)).toBe("x".repeat(2_000));
      expect(await openSessionValue(secret, binding, large)).toBe("x".repeat(2_000));
      expect(verify).toHaveBeenCalledTimes(8);
    } finally {
      sign.mockRestore();
      verify.mockRestore();
    }
  });
});
