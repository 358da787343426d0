// The requestState of the 2026-07-28 input bridge (aggregated/input-state.ts):
// it round-trips through the client, so on the retry it is attacker-
// controlled. It opens only for the caller, server, method and target it was
// sealed for, before its expiry, under the secret that sealed it, unaltered.
import { describe, expect, it } from "vitest";
import {
  type InputBinding,
  inputCaller,
  openInputState,
  sealInputState,
} from "../../worker/aggregated/input-state.ts";
import type { Principal } from "../../worker/auth/principal.ts";

const SECRET = "input-state-test-secret-0123456789abcdef";
const NOW = 1_800_000_000_000;

function who(subject: string, tenant = "default", issuer = "https://idp.test"): Principal {
  return { subject, issuer, tenant, groups: [], scopes: [], kind: "user", credential: "idp" } as Principal;
}

const BINDING: InputBinding = {
  caller: inputCaller(who("alice")),
  serverId: "srv-1",
  method: "tools/call",
  target: "ask",
};

async function sealed(binding = BINDING, expiresAt = NOW + 60_000): Promise<string> {
  return sealInputState(SECRET, binding, "exchange-42", expiresAt);
}

describe("input requestState", () => {
  it("opens to the exchange id for the same caller and request before it expires", async () => {
    expect(await openInputState(SECRET, BINDING, await sealed(), NOW)).toBe("exchange-42");
  });

  it.each([
    ["another subject", { caller: inputCaller(who("mallory")) }],
    [
      "the same subject of another issuer",
      { caller: inputCaller(who("alice", "default", "https://other.idp")) },
    ],
    ["the same subject in another tenant", { caller: inputCaller(who("alice", "acme")) }],
    ["another server", { serverId: "srv-2" }],
    ["another method", { method: "prompts/get" }],
    ["another target", { target: "ask_again" }],
  ])("does not open for %s", async (_label, change) => {
    expect(await openInputState(SECRET, { ...BINDING, ...change }, await sealed(), NOW)).toBeNull();
  });

  it("does not open once expired", async () => {
    const state = await sealed(BINDING, NOW + 1_000);
    expect(await openInputState(SECRET, BINDING, state, NOW + 999)).toBe("exchange-42");
    expect(await openInputState(SECRET, BINDING, state, NOW + 1_000)).toBeNull();
  });

  it("does not open under another secret", async () => {
    expect(await openInputState(`${SECRET}x`, BINDING, await sealed(), NOW)).toBeNull();
  });

  it("does not open when any part is altered, reordered or missing", async () => {
    const state = await sealed();
    const [version, body, mac] = state.split(".") as [string, string, string];
    // The payload re-encoded with a longer expiry and the old MAC.
    const payload = JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const forged = btoa(JSON.stringify({ ...payload, exp: NOW + 10 * 60_000, id: "exchange-43" }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const flipped = `${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`;
    for (const bad of [
      `${version}.${forged}.${mac}`,
      `${version}.${body}.${flipped}`,
      `i0.${body}.${mac}`,
      `${version}.${body}`,
      `${version}.${body}.${mac}.extra`,
      `${version}.${mac}.${body}`,
      "",
      "not a state",
    ]) {
      expect(await openInputState(SECRET, BINDING, bad, NOW), bad).toBeNull();
    }
  });
});
