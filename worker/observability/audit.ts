// Audit recording: every event goes to the audit table after the response
// and, when AUDIT_LOG_LINES is on, to the Worker's logs as one JSON line at
// once. Table writes are batched per isolate: the first event schedules a
// flush 200 ms later
// (kept alive by that request's ctx.waitUntil), and every event recorded
// before it runs goes into the same D1 batch, so busy isolates pay one write
// for many requests and auditing never sits on a request's critical path.
import type { AuditEvent, AuditLog } from "../store/audit-log.ts";

/** An event to record; `id` only when the caller needs a deterministic one (duplicates are dropped). */
export type AuditInput = Omit<AuditEvent, "id" | "occurredAt"> & { id?: string; occurredAt?: string };

export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

// 200 ms: at a hundred calls a second one D1 batch carries ~20 events (20 ms carried ~2, a
// D1 round trip per call or two); rows are visible in the table 0.2 s later.
export const AUDIT_FLUSH_DELAY_MS = 200;
const AUDIT_LINE_PREFIX = '{"level":"info","event":"audit",';
const MAX_BUFFERED = 500;

/** What derives metrics from recorded events (observability/metrics.ts `MetricsRecorder`). */
export interface AuditMetrics {
  recordAudit(ctx: WaitUntil, events: AuditEvent[]): void;
}

export interface AuditorOptions {
  flushDelayMs?: number;
  /**
   * Told of every recorded event (metrics are derived from the audit trail). The recorder itself,
   * not a closure around it: the call goes straight to it (no composition-root code per request).
   */
  metrics?: AuditMetrics;
  /** Also log each event as one JSON line (AUDIT_LOG_LINES). */
  logLines?: boolean;
}

export class Auditor {
  private buffer: AuditEvent[] = [];
  private flushScheduled = false;
  private readonly flushDelayMs: number;
  private readonly metrics: AuditMetrics | null;
  private readonly logLines: boolean;

  constructor(
    private readonly log: AuditLog,
    options: AuditorOptions = {},
  ) {
    this.flushDelayMs = options.flushDelayMs ?? AUDIT_FLUSH_DELAY_MS;
    this.metrics = options.metrics ?? null;
    this.logLines = options.logLines ?? false;
  }

  /** Queues events to be written after the response. Never throws. */
  record(ctx: WaitUntil, inputs: AuditInput[]): void {
    if (inputs.length === 0) return;
    const events = inputs.map(toEvent);
    // The Worker-log line: the event's own JSON behind two fixed keys (no copy of the event).
    if (this.logLines)
      for (const event of events) console.log(`${AUDIT_LINE_PREFIX}${JSON.stringify(event).slice(1)}`);
    this.metrics?.recordAudit(ctx, events);
    this.buffer.push(...events);
    if (this.buffer.length >= MAX_BUFFERED) {
      ctx.waitUntil(this.flush());
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, this.flushDelayMs)).then(() => {
        this.flushScheduled = false;
        return this.flush();
      }),
    );
  }

  private async flush(): Promise<void> {
    const events = this.buffer;
    this.buffer = [];
    if (events.length === 0) return;
    try {
      await this.log.append(events);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          event: "audit_write_failed",
          lost: events.length,
          error: String(error),
        }),
      );
    }
  }
}

function toEvent(input: AuditInput): AuditEvent {
  return {
    ...input,
    id: input.id ?? crypto.randomUUID(),
    occurredAt: input.occurredAt ?? new Date().toISOString(),
  };
}
