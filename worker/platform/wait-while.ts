// Waiting for work another request does, without awaiting its promise.
// Under workerd, a request that awaits a promise another request's I/O
// settles resumes in that request's I/O context ("Cannot perform I/O on
// behalf of a different request" once it ends). A waiter instead polls a
// flag on its own timers and then reads the finished result.

/** Resolves once `busy()` is false or `limitMs` has passed, checking every `stepMs` on this request's timers. */
export async function waitWhile(busy: () => boolean, limitMs: number, stepMs = 25): Promise<void> {
  for (let waited = 0; busy() && waited < limitMs; waited += stepMs) {
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
