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

/** Deadlines of one request on one runtime timer, armed for the earliest. */
export class TimerSlot {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (ms since epoch); Infinity when none is armed. */
  #armedFor = Number.POSITIVE_INFINITY;
  readonly #entries: { due: number; fire: () => void }[] = [];

  /** Runs `fire` after `ms` unless the returned cancel runs first. */
  schedule(ms: number, fire: () => void): () => void {
    const entry = { due: Date.now() + ms, fire };
    this.#entries.push(entry);
    if (entry.due < this.#armedFor) this.#arm(entry.due, ms);
    return () => this.#cancel(entry);
  }

  #cancel(entry: { due: number; fire: () => void }): void {
    const at = this.#entries.indexOf(entry);
    if (at < 0) return;
    this.#entries.splice(at, 1);
    // An earlier timer left armed for a later entry fires early and re-arms (#fire): no clear needed.
    if (this.#entries.length === 0) this.#disarm();
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

/** `work`, or a rejection with the abort reason as soon as `signal` fires (some SDK steps take no signal). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
