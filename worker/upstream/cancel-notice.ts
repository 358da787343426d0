// The one message a conversation sends BECAUSE its caller gave up: the SDK
// client's notifications/cancelled to a session-based (2025) upstream. The
// conversation's fetches are bounded by the caller's signal, which is
// already aborted at that moment, so this POST gets its own short budget
// instead; without it the upstream never hears the cancellation.

/** How long the notice may take: it is best effort and the caller has gone. */
const NOTICE_BUDGET_MS = 2_000;

/** A POST whose JSON body is a notifications/cancelled (the SDK sends it alone, as a string). */
export function isCancelNotice(init: RequestInit | undefined): boolean {
  return typeof init?.body === "string" && init.body.includes('"notifications/cancelled"');
}

/** The signal for a cancel notice: the transport's own (its close) and the notice's budget. */
export function cancelNoticeSignal(init: RequestInit): AbortSignal {
  const budget = AbortSignal.timeout(NOTICE_BUDGET_MS);
  return init.signal ? AbortSignal.any([init.signal, budget]) : budget;
}
