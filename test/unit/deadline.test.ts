// platform/deadline.ts: a request's deadlines on one runtime timer (TimerSlot).
import { afterEach, describe, expect, it, vi } from "vitest";
import { deadline, exchangeDeadline, shareTimers, TimerSlot } from "../../worker/platform/deadline.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("TimerSlot", () => {
  afterEach(() => vi.restoreAllMocks());

  it("fires each deadline after its own time, earliest first", async () => {
    const slot = new TimerSlot();
    const fired: string[] = [];
    slot.schedule(60, () => fired.push("late"));
    slot.schedule(10, () => fired.push("early"));
    await pause(30);
    expect(fired).toEqual(["early"]);
    await pause(80);
    expect(fired).toEqual(["early", "late"]);
  });

  it("arms one runtime timer for a later deadline behind an earlier one, and clears it once both are cancelled", () => {
    const setSpy = vi.spyOn(globalThis, "setTimeout");
    const clearSpy = vi.spyOn(globalThis, "clearTimeout");
    const slot = new TimerSlot();
    const fired: string[] = [];
    const commit = slot.schedule(2_000, () => fired.push("commit"));
    const upstream = slot.schedule(30_000, () => fired.push("upstream"));
    expect(setSpy).toHaveBeenCalledTimes(1);
    upstream();
    expect(clearSpy).not.toHaveBeenCalled();
    commit();
    expect(clearSpy).toHaveBeenCalledTimes(1);
    expect(fired).toEqual([]);
  });

  it("re-arms for the next deadline when the one it was armed for is cancelled or fired", async () => {
    const slot = new TimerSlot();
    const fired: string[] = [];
    const first = slot.schedule(10, () => fired.push("first"));
    slot.schedule(40, () => fired.push("second"));
    slot.schedule(20, () => fired.push("third"));
    first();
    await pause(100);
    expect(fired).toEqual(["third", "second"]);
  });

  it("fires nothing once every deadline is cancelled", async () => {
    const slot = new TimerSlot();
    const fired: string[] = [];
    const a = slot.schedule(5, () => fired.push("a"));
    const b = slot.schedule(15, () => fired.push("b"));
    a();
    b();
    b();
    await pause(40);
    expect(fired).toEqual([]);
  });
});

describe("deadline", () => {
  afterEach(() => vi.restoreAllMocks());

  it("rides on the request's slot when its signal shares one, and aborts when due", async () => {
    const request = new AbortController();
    const slot = new TimerSlot();
    shareTimers(request.signal, slot);
    const commit = slot.schedule(5_000, () => {});
    const setSpy = vi.spyOn(globalThis, "setTimeout");
    const timeout = deadline(10, request.signal);
    expect(setSpy).toHaveBeenCalledTimes(1); // re-armed earlier: the slot's one timer, not a second one
    await pause(40);
    expect(timeout.signal.aborted).toBe(true);
    expect(String(timeout.signal.reason)).toContain("timed out after 10 ms");
    commit();
  });

  it("does not abort once cleared, on a slot or on its own timer", async () => {
    const request = new AbortController();
    shareTimers(request.signal, new TimerSlot());
    const shared = deadline(10, request.signal);
    const own = deadline(10, new AbortController().signal);
    const bare = deadline(10);
    shared.clear();
    own.clear();
    bare.clear();
    await pause(40);
    expect([shared.signal.aborted, own.signal.aborted, bare.signal.aborted]).toEqual([false, false, false]);
  });
});

describe("exchangeDeadline", () => {
  afterEach(() => vi.restoreAllMocks());

  it("on a request's slot: one controller, aborted by the slot's hang-up with the client's reason, not expired", () => {
    const request = new AbortController();
    const slot = new TimerSlot();
    shareTimers(request.signal, slot);
    const anySpy = vi.spyOn(AbortSignal, "any");
    const exchange = exchangeDeadline(5_000, request.signal);
    expect(anySpy).not.toHaveBeenCalled();
    const reason = new Error("the client closed the request");
    slot.hangUp(reason);
    expect(exchange.signal.aborted).toBe(true);
    expect(exchange.signal.reason).toBe(reason);
    expect(exchange.expired).toBe(false);
    exchange.clear();
  });

  it("on a request's slot: expires when due (expired, the deadline's reason), and never once cleared", async () => {
    const request = new AbortController();
    const slot = new TimerSlot();
    shareTimers(request.signal, slot);
    const due = exchangeDeadline(10, request.signal);
    const cleared = exchangeDeadline(10, request.signal);
    cleared.clear();
    await pause(40);
    expect(due.expired).toBe(true);
    expect(String(due.signal.reason)).toContain("timed out after 10 ms");
    expect([cleared.signal.aborted, cleared.expired]).toEqual([false, false]);
    // A hang-up after the clear reaches nothing it no longer holds.
    slot.hangUp(new Error("late"));
    expect(cleared.signal.aborted).toBe(false);
  });

  it("without a slot: follows the request's signal and its own timer", async () => {
    const request = new AbortController();
    const followed = exchangeDeadline(5_000, request.signal);
    request.abort(new Error("gone"));
    expect([followed.signal.aborted, followed.expired]).toEqual([true, false]);
    followed.clear();
    const own = exchangeDeadline(10);
    await pause(40);
    expect([own.signal.aborted, own.expired]).toEqual([true, true]);
  });

  it("a request already cancelled: the exchange's signal is aborted from the start", () => {
    const request = new AbortController();
    shareTimers(request.signal, new TimerSlot());
    request.abort(new Error("gone before"));
    const exchange = exchangeDeadline(5_000, request.signal);
    expect(exchange.signal.aborted).toBe(true);
    expect(exchange.expired).toBe(false);
    exchange.clear();
  });
});
