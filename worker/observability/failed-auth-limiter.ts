// Failed authentications are audited, but a flood of bad tokens must not
// fill the audit table. Two bounds: each isolate records at most
// PER_SOURCE_PER_MINUTE events per source address and PER_ISOLATE_PER_MINUTE
// in all (the rest are counted, and the count rides on the next recorded
// event of that source); and every recorded event gets a deterministic id
// `auth-fail:{minute}:{source}:{slot}`, so the table's primary key (the
// insert ignores duplicates) caps rows per source per minute across all
// isolates to PER_SOURCE_PER_MINUTE whatever the number of isolates.

export const PER_SOURCE_PER_MINUTE = 5;
export const PER_ISOLATE_PER_MINUTE = 100;

export interface FailedAuthSlot {
  /** The event's id (one of PER_SOURCE_PER_MINUTE per source and minute). */
  id: string;
  /** Failures of this source dropped since its last recorded event. */
  suppressed: number;
}

export class FailedAuthLimiter {
  private minute = -1;
  private total = 0;
  private readonly perSource = new Map<string, number>();
  private readonly dropped = new Map<string, number>();

  constructor(
    private readonly perSourceLimit = PER_SOURCE_PER_MINUTE,
    private readonly perIsolateLimit = PER_ISOLATE_PER_MINUTE,
  ) {}

  /** A slot for one more event from `source`, or null when it must be dropped. */
  take(source: string, now = Date.now()): FailedAuthSlot | null {
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.total = 0;
      this.perSource.clear();
      // Dropped counts carry over (reported with the source's next event), but not without bound.
      if (this.dropped.size > 10_000) this.dropped.clear();
    }
    const used = this.perSource.get(source) ?? 0;
    if (used >= this.perSourceLimit || this.total >= this.perIsolateLimit) {
      this.dropped.set(source, (this.dropped.get(source) ?? 0) + 1);
      return null;
    }
    this.perSource.set(source, used + 1);
    this.total += 1;
    const suppressed = this.dropped.get(source) ?? 0;
    this.dropped.delete(source);
    return { id: `auth-fail:${minute}:${source.slice(0, 64)}:${used}`, suppressed };
  }
}
