// The held exchange of the 2026-07-28 input bridge (aggregated/input-exchange.ts):
// which keys the caller sees for the upstream's input requests, and answers
// sent ahead with the first request.
import { describe, expect, it } from "vitest";
import { HeldUpstreamCall } from "../../worker/aggregated/input-exchange.ts";
import type { UpstreamRelay } from "../../worker/upstream/upstream-relay.ts";

const ELICIT = { message: "What is your name?", requestedSchema: { type: "object", properties: {} } };
const ALICE = { action: "accept", content: { name: "Alice" } };

/** A held call whose upstream asks `asks` (key → method) at once and returns what it was answered. */
function held(asks: [string | undefined, string][], ahead?: Record<string, unknown>) {
  const signal = new AbortController().signal;
  return new HeldUpstreamCall(
    "caller",
    { elicitation: {} },
    async (relay: UpstreamRelay) => {
      const answers = await Promise.all(
        asks.map(([key]) => relay.request("elicitation/create", ELICIT, signal, key)),
      );
      return { result: { answers }, endpoint: "", upstreamStatus: 200 };
    },
    ahead,
  );
}

describe("HeldUpstreamCall", () => {
  it("shows a 2026 upstream's own inputRequests keys, and numbers a 2025 upstream's requests", async () => {
    const call = held([
      ["user_name", "elicitation/create"],
      [undefined, "elicitation/create"],
    ]);
    const step = await call.next();
    expect(step.kind).toBe("input");
    if (step.kind !== "input") return;
    expect(Object.keys(step.inputRequests).sort()).toEqual(["input-1", "user_name"]);
    call.answer({ user_name: ALICE, "input-1": { action: "decline" } });
    expect(await call.next()).toMatchObject({
      kind: "result",
      result: { answers: [ALICE, { action: "decline" }] },
    });
  });

  it("asks again for what the caller left unanswered, ignoring keys nobody asked for", async () => {
    const call = held([["user_name", "elicitation/create"]]);
    await call.next();
    call.answer({ unknown_extra_key: ALICE });
    const again = await call.next();
    expect(again.kind === "input" && Object.keys(again.inputRequests)).toEqual(["user_name"]);
    call.answer({ user_name: ALICE });
    expect(await call.next()).toMatchObject({ kind: "result", result: { answers: [ALICE] } });
  });

  it("answers the upstream's requests from the answers sent ahead with the first request", async () => {
    const call = held([["user_name", "elicitation/create"]], {
      user_name: ALICE,
      another_unexpected: { action: "accept", content: { baz: 123 } },
    });
    expect(await call.next()).toMatchObject({ kind: "result", result: { answers: [ALICE] } });
  });
});
