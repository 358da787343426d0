// The per-isolate session ledger (aggregated/session-ledger.ts): entries come
// only from the object's answers, are trusted at most TRUST_MS after the
// question was asked, are refreshed past REFRESH_MS, and a session ended
// through this isolate never comes back.
import { describe, expect, it } from "vitest";
import { REFRESH_MS, SessionLedger, TRUST_MS } from "../../worker/aggregated/session-ledger.ts";
import type { SessionFacts } from "../../worker/platform/durable-objects.ts";

const FACTS: SessionFacts = {
  owner: '["t","iss","sub"]',
  virtual: null,
  protocolVersion: "2025-11-25",
  bridges: false,
  upstream: { "srv http://u/mcp": { sessionId: "u-1", protocolVersion: "2025-06-18" } },
};

function ledgerAt(start = 1_000) {
  const clock = { now: start };
  return { clock, ledger: new SessionLedger(() => clock.now) };
}

describe("SessionLedger", () => {
  it("knows nothing the object did not say", async () => {
    const { ledger } = ledgerAt();
    expect(ledger.current("s")).toBeNull();
    expect(ledger.due("s")).toBe(true);
    await ledger.refresh("s", async () => FACTS);
    expect(ledger.current("s")?.facts).toEqual(FACTS);
  });

  it("trusts an entry at most TRUST_MS after the question was asked, and is due past REFRESH_MS", async () => {
    const { clock, ledger } = ledgerAt();
    let answer!: (facts: SessionFacts) => void;
    const asked = ledger.refresh("s", () => new Promise((resolve) => (answer = resolve)));
    clock.now += 1_000; // the answer arrives late: the bound counts from the question
    answer(FACTS);
    await asked;
    clock.now += REFRESH_MS - 1_000;
    expect(ledger.due("s")).toBe(false);
    clock.now += 1;
    expect(ledger.due("s")).toBe(true);
    clock.now = 1_000 + TRUST_MS;
    expect(ledger.current("s")).not.toBeNull();
    clock.now += 1;
    expect(ledger.current("s")).toBeNull();
  });

  it("evicts when the object no longer vouches (ended, expired, not the caller's)", async () => {
    const { ledger } = ledgerAt();
    await ledger.refresh("s", async () => FACTS);
    await ledger.refresh("s", async () => null);
    expect(ledger.current("s")).toBeNull();
  });

  it("asks once while a question is out, and keeps the entry when the question fails", async () => {
    const { ledger } = ledgerAt();
    await ledger.refresh("s", async () => FACTS);
    let asked = 0;
    let answer!: (facts: SessionFacts | null) => void;
    const first = ledger.refresh("s", () => {
      asked += 1;
      return new Promise((resolve) => (answer = resolve));
    });
    await ledger.refresh("s", async () => {
      asked += 1;
      return null;
    });
    expect(asked).toBe(1);
    answer(FACTS);
    await first;
    await ledger.refresh("s", () => Promise.reject(new Error("object unreachable")));
    expect(ledger.current("s")).not.toBeNull();
  });

  it("never brings back a session ended through this isolate, even from an answer that was already out", async () => {
    const { ledger } = ledgerAt();
    let answer!: (facts: SessionFacts) => void;
    const late = ledger.refresh("s", () => new Promise((resolve) => (answer = resolve)));
    ledger.end("s");
    answer(FACTS);
    await late;
    expect(ledger.current("s")).toBeNull();
    await ledger.refresh("s", async () => FACTS);
    expect(ledger.current("s")).toBeNull();
  });

  it("stops lending an upstream session that failed", async () => {
    const { ledger } = ledgerAt();
    await ledger.refresh("s", async () => FACTS);
    ledger.forgetUpstream("s", "srv http://u/mcp");
    expect(ledger.current("s")?.facts.upstream).toEqual({});
  });
});
