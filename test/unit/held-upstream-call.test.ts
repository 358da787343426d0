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

/** A held call whose upstream reports progress 1 and 2, asks, reports 3 (and `late` after a pause), answers. */
function progressing(late = false) {
  const signal = new AbortController().signal;
  let resume: () => void = () => {};
  const paused = new Promise<void>((resolve) => {
    resume = resolve;
  });
  const call = new HeldUpstreamCall("caller", { elicitation: {} }, async (relay, onProgress) => {
    onProgress({ progress: 1, total: 4 });
    onProgress({ progress: 2, total: 4 });
    const answer = await relay.request("elicitation/create", ELICIT, signal);
    onProgress({ progress: 3, total: 4 });
    if (late) await paused;
    return { result: { answer }, endpoint: "", upstreamStatus: 200 };
  });
  return { call, resume };
}

describe("HeldUpstreamCall progress", () => {
  it("hands each round's progress to that round's sink before the round's step", async () => {
    const { call } = progressing();
    const seen: string[] = [];
    const first = await call.next((progress) => {
      seen.push(`progress ${progress.progress}`);
    });
    seen.push(`step ${first.kind}`);
    call.answer({ "input-1": ALICE });
    const second = await call.next((progress) => {
      seen.push(`progress ${progress.progress}`);
    });
    seen.push(`step ${second.kind}`);
    expect(seen).toEqual(["progress 1", "progress 2", "step input", "progress 3", "step result"]);
  });

  it("waits for a slow sink: the round's step never overtakes its progress", async () => {
    const { call } = progressing();
    const seen: string[] = [];
    const step = await call.next(async (progress) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      seen.push(`progress ${progress.progress}`);
    });
    seen.push(`step ${step.kind}`);
    expect(seen).toEqual(["progress 1", "progress 2", "step input"]);
  });

  it("keeps progress that comes with no round to carry it for the next round", async () => {
    const { call } = progressing();
    // The first round has no sink (the caller sent no progressToken): its progress waits.
    expect((await call.next()).kind).toBe("input");
    call.answer({ "input-1": ALICE });
    const seen: number[] = [];
    expect((await call.next((progress) => seen.push(progress.progress))).kind).toBe("result");
    expect(seen).toEqual([1, 2, 3]);
  });

  it("survives a sink that fails (the caller went away)", async () => {
    const { call } = progressing();
    const step = await call.next(() => {
      throw new Error("the caller's stream is gone");
    });
    expect(step.kind).toBe("input");
    call.answer({ "input-1": ALICE });
    expect(await call.next()).toMatchObject({ kind: "result", result: { answer: ALICE } });
  });
});

describe("HeldUpstreamCall cancellation", () => {
  it("stops asking for a request the upstream cancelled, and asks for what it asks instead", async () => {
    const cancel = new AbortController();
    const never = new AbortController().signal;
    let firstOutcome = "";
    const call = new HeldUpstreamCall("caller", { elicitation: {} }, async (relay) => {
      const first = relay.request("elicitation/create", ELICIT, cancel.signal).then(
        () => "answered",
        (error: Error) => `rejected: ${error.message}`,
      );
      // The upstream gives up on its first request before the caller answered, and asks another.
      await new Promise((resolve) => setTimeout(resolve, 40));
      cancel.abort();
      firstOutcome = await first;
      const second = await relay.request("elicitation/create", { ...ELICIT, message: "Second?" }, never);
      return { result: { second }, endpoint: "", upstreamStatus: 200 };
    });
    const asked = await call.next();
    expect(asked.kind === "input" && Object.keys(asked.inputRequests)).toEqual(["input-1"]);
    // The caller's answer to the cancelled request comes too late: it is not asked again,
    call.answer({});
    const next = await call.next();
    expect(firstOutcome).toBe("rejected: request cancelled");
    // and only the new request is asked for.
    expect(
      next.kind === "input" && Object.entries(next.inputRequests).map(([k, v]) => [k, v.params.message]),
    ).toEqual([["input-2", "Second?"]]);
    call.answer({ "input-2": ALICE });
    expect(await call.next()).toMatchObject({ kind: "result", result: { second: ALICE } });
  });
});
