// Deadlines and cancellation shared by every upstream exchange. Pure; no imports.
//
// A request's deadlines share one runtime timer when the request has a timer
// slot (`TimerSlot`, registered for its client signal by edge/hang-up.ts):
// `setTimeout`/`clearTimeout` were ~3.6% of a stateless `/mcp` call's
// isolate time in bench:profile with two timers per request (the commit to
// SSE after 2 s, the upstream's deadline), although almost every call ends
// long before either fires. The slot runs one timer at the earliest due
// time; a later deadline only records its time. A slot belongs to one
// request: its timer runs in that request's context (a timer armed by one
// request must never fire another's deadline: workerd ends a request's
// timers with it, and an abort from another request's context would touch
// that request's fetch).

/** What a slot runs: `fire` when `due`; `hangUp` (if any) when the request's client goes away. */
export interface SlotEntry {
  readonly due: number;
  fire(): void;
  hangUp?(reason: unknown): void;
}

/** Deadlines of one request on one runtime timer, armed for the earliest. */
export class TimerSlot {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (ms since epoch); Infinity when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #entries: SlotEntry[] = [];

  /** Runs `fire` after `ms` unless the returned cancel runs first. */
  schedule(ms: number, fire: () => void): () => void {
    const entry = { due: Date.now() + ms, fire };
    this.add(entry);
    return () => this.remove(entry);
  }

  /** Runs `entry.fire` when it is due unless `remove` runs first. */
  add(entry: SlotEntry): void {
    this.#entries.push(entry);
    if (entry.due < this.#armedFor) this.#arm(entry.due, entry.due - Date.now());
  }

  remove(entry: SlotEntry): void {
    const at = this.#entries.indexOf(entry);
    if (at < 0) return;
    this.#entries.splice(at, 1);
    // An earlier timer left armed for a later entry fires early and re-arms (#fire): no clear needed.
    if (this.#entries.length === 0) this.#disarm();
  }

  /** The request's client went away (edge/hang-up.ts): entries that follow it hear so at once. */
  hangUp(reason: unknown): void {
    for (const entry of [...this.#entries]) entry.hangUp?.(reason);
  }

  #arm(due: number, ms: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = due;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, ms));
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due = this.#entries.filter((entry) => entry.due <= now);
    for (const entry of due) this.#entries.splice(this.#entries.indexOf(entry), 1);
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.#entries) next = Math.min(next, entry.due);
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next, next - now);
    for (const entry of due) entry.fire();
  }
}

const slots = new WeakMap<AbortSignal, TimerSlot>();

/** Lets deadlines started with `signal` as their request's signal share `slot`'s timer (edge/hang-up.ts). */
export function shareTimers(signal: AbortSignal, slot: TimerSlot): void {
  slots.set(signal, slot);
}

/**
 * An abort signal that fires after `ms`, with a way to cancel its timer.
 * Unlike AbortSignal.timeout, a cleared deadline leaves no pending timer
 * behind (a Durable Object counts those as work still in flight). With
 * `requestSignal` (the signal of the request the deadline works for) whose
 * request has a timer slot, the deadline rides on the slot's timer.
 */
export function deadline(
  ms: number,
  requestSignal?: AbortSignal,
): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const expire = () => controller.abort(new Error(`timed out after ${ms} ms`));
  const slot = requestSignal && slots.get(requestSignal);
  if (slot) return { signal: controller.signal, clear: slot.schedule(ms, expire) };
  const timer = setTimeout(expire, ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** The deadline of one upstream exchange within its request (upstream/upstream-call.ts). */
export interface ExchangeDeadline {
  /** Aborts when the deadline passes or the request's client goes away, whichever comes first. */
  readonly signal: AbortSignal;
  /** True once the deadline (not the client) has aborted `signal`. */
  readonly expired: boolean;
  clear(): void;
}

/**
 * A deadline of `ms` for work done for the request whose signal is
 * `requestSignal`, with one signal for both. On a request with a timer slot
 * this is one AbortController on the slot's timer, told of a hang-up by the
 * slot: no second controller and no AbortSignal.any, whose derived signal
 * and its listener were a stateless call's largest allocations after the
 * fetch itself (bench:profile --alloc).
 */
export function exchangeDeadline(ms: number, requestSignal?: AbortSignal): ExchangeDeadline {
  const slot = requestSignal && slots.get(requestSignal);
  if (slot && requestSignal && !requestSignal.aborted) return new SlotDeadline(ms, slot);
  const own = deadline(ms, requestSignal);
  const signal = requestSignal ? AbortSignal.any([requestSignal, own.signal]) : own.signal;
  return {
    signal,
    get expired() {
      return own.signal.aborted;
    },
    clear: own.clear,
  };
}

/** An exchange's deadline on its request's slot: the slot fires it, or aborts it on a hang-up. */
class SlotDeadline implements SlotEntry, ExchangeDeadline {
  readonly due: number;
  expired = false;
  readonly #controller = new AbortController();
  readonly #ms: number;
  readonly #slot: TimerSlot;

  constructor(ms: number, slot: TimerSlot) {
    this.due = Date.now() + ms;
    this.#ms = ms;
    this.#slot = slot;
    slot.add(this);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  fire(): void {
    this.expired = true;
    this.#controller.abort(new Error(`timed out after ${this.#ms} ms`));
  }

  hangUp(reason: unknown): void {
    this.#controller.abort(reason);
  }

  clear(): void {
    this.#slot.remove(this);
  }
}

/** `work`, or a rejection with the abort reason as soon as `signal` fires (some SDK steps take no signal). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
