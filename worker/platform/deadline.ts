// Deadlines and cancellation shared by every upstream exchange. Pure; no imports.

/**
 * An abort signal that fires after `ms`, with a way to cancel its timer.
 * Unlike AbortSignal.timeout, a cleared deadline leaves no pending timer
 * behind (a Durable Object counts those as work still in flight).
 */
export function deadline(ms: number): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
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
