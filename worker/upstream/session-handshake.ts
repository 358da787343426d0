// Which generation a client session speaks to an upstream that offers both.
// The 2026-07-28 wire has no server-to-client requests in the middle of a
// call, no `logging/setLevel` and no `resources/subscribe`: an upstream that
// also accepts the 2025 `initialize` handshake gives a session client all of
// that only in a session. So a call made inside a client session opens its
// upstream conversation with `initialize` first, and falls back to the usual
// negotiation (server/discover, then initialize) for an upstream that refuses
// the handshake, remembered per URL so the refusal is paid once per isolate.
// Stateless (2026-07-28) callers keep the usual negotiation.

/** Upstream URLs that refused the 2025 handshake. */
const refused = new Set<string>();
const MAX_REFUSED = 1_000;

/** True when a call in a client session should open `url` with the 2025 handshake. */
export function sessionHandshakeFirst(url: string, inClientSession: boolean): boolean {
  return inClientSession && !refused.has(url);
}

/** The upstream at `url` answered the 2025 handshake with a refusal: use the usual negotiation from now on. */
export function sessionHandshakeRefused(url: string): void {
  if (refused.size >= MAX_REFUSED) refused.clear();
  refused.add(url);
}
