// Per isolate, what the Worker knows about the sessions of session-based
// clients of /mcp, so that it can serve their plain tools/call itself
// (session-direct-call.ts) and keep the McpSession object off the critical
// path. Every entry is the object's own answer (`McpSession.facts`: owner,
// negotiated version, whether the client bridges input, the upstream sessions
// the object keeps), never client input; the object stays the authority:
// - an entry serves calls only while the object vouched for it within
//   TRUST_MS (5 s, the token revocation bound): a session ended through
//   another isolate (DELETE, idle expiry) is served here at most that long;
// - a request that uses an entry older than REFRESH_MS asks the object again
//   in `waitUntil` (off the critical path): the answer refreshes or evicts the
//   entry, and counts as the session's use for the object's idle expiry;
// - a DELETE through this isolate evicts at once, and the id never comes back
//   (session ids are random and never reused);
// - bounded: at most MAX_ENTRIES sessions, the oldest dropped first.
// Refreshes are started by one request and awaited by nobody else (workerd
// runs a promise's continuation in the I/O context of the request that
// started it: sharing it between requests fails, see docs/architecture.md).
import type { SessionFacts } from "../platform/durable-objects.ts";

/** How long after the object last vouched for a session the Worker serves its calls. */
export const TRUST_MS = 5_000;
/** Past this age a request that uses the entry has it refreshed (in the background). */
export const REFRESH_MS = 2_000;
const MAX_ENTRIES = 10_000;
const MAX_ENDED = 10_000;

export interface LedgerEntry {
  readonly facts: SessionFacts;
  /** When the question that got these facts was asked (epoch ms): a bound holds from then. */
  readonly checkedAt: number;
}

export class SessionLedger {
  private readonly entries = new Map<string, LedgerEntry>();
  private readonly refreshing = new Set<string>();
  /** Sessions ended through this isolate: a refresh that answers late never brings them back. */
  private readonly ended = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The facts of session `id`, while the object vouched for them within TRUST_MS; else null. */
  current(id: string): LedgerEntry | null {
    const entry = this.entries.get(id);
    if (entry === undefined) return null;
    if (this.now() - entry.checkedAt > TRUST_MS) return null;
    return entry;
  }

  /** Whether the entry of `id` is missing or old enough to be asked for again. */
  due(id: string): boolean {
    const entry = this.entries.get(id);
    return entry === undefined || this.now() - entry.checkedAt > REFRESH_MS;
  }

  /**
   * Asks the object (`vouch`) for the session's facts, unless a question is
   * already out; the answer refreshes the entry (null: evicted). The promise
   * never rejects (an unanswered question leaves the entry to expire).
   */
  refresh(id: string, vouch: () => Promise<SessionFacts | null>): Promise<void> {
    if (this.refreshing.has(id) || this.ended.has(id)) return Promise.resolve();
    this.refreshing.add(id);
    const askedAt = this.now();
    return vouch().then(
      (facts) => {
        this.refreshing.delete(id);
        this.settle(id, facts, askedAt);
      },
      () => {
        this.refreshing.delete(id);
      },
    );
  }

  /** Drops the entry (the object will be asked again on the session's next request). */
  evict(id: string): void {
    this.entries.delete(id);
  }

  /** The session ended (its DELETE answered through this isolate): gone for good. */
  end(id: string): void {
    this.entries.delete(id);
    if (this.ended.size >= MAX_ENDED) this.ended.clear();
    this.ended.add(id);
  }

  /** An upstream session the entry named failed (404, lost): not lent again until the object names one. */
  forgetUpstream(id: string, key: string): void {
    const entry = this.entries.get(id);
    if (!entry || !(key in entry.facts.upstream)) return;
    const { [key]: _gone, ...upstream } = entry.facts.upstream;
    this.entries.set(id, { ...entry, facts: { ...entry.facts, upstream } });
  }

  /** An upstream session a call of this isolate opened and handed to the object (`McpSession.adoptUpstream`). */
  useUpstream(id: string, key: string, session: { sessionId: string; protocolVersion: string }): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const upstream = { ...entry.facts.upstream, [key]: session };
    this.entries.set(id, { ...entry, facts: { ...entry.facts, upstream } });
  }

  private settle(id: string, facts: SessionFacts | null, askedAt: number): void {
    if (facts === null || this.ended.has(id)) {
      this.entries.delete(id);
      return;
    }
    const entry = this.entries.get(id);
    // A slower, older answer never replaces a newer one.
    if (entry && entry.checkedAt > askedAt) return;
    this.entries.delete(id);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(id, { facts, checkedAt: askedAt });
  }
}

/** The isolate's ledger (routes/aggregated-mcp.ts). */
export const sessionLedger = new SessionLedger();
