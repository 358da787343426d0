// Metrics recording. Increments are summed per isolate for a few
// milliseconds and then added to the shared store in one batch under the
// request's waitUntil (the same scheme as the audit log), so a request never
// waits for metrics and every isolate's counts land in the same rows. In
// production each MCP request is also a Workers Analytics Engine data point.
import type { AuditEvent } from "../store/audit-log.ts";
import type { MetricsStore, SeriesDelta, UsageDelta } from "../store/metrics-store.ts";
import type { WaitUntil } from "./audit.ts";
import {
  LATENCY_BUCKET_COUNT,
  LATENCY_BUCKETS_MS,
  LATENCY_BUCKETS_SECONDS,
  METRICS,
  type MetricDefinition,
  SUCCESS_OUTCOMES,
} from "./metrics-catalog.ts";
import { currentScope } from "./request-scope.ts";

// Long enough that a busy isolate writes a few batches a second rather than one
// per request burst (each batch is a D1 round trip); /metrics flushes its own
// isolate first, so a scrape never misses what the isolate serving it counted.
export const METRICS_FLUSH_DELAY_MS = 500;
const MAX_PENDING = 1_000;

export interface MetricsOptions {
  enabled: boolean;
  /** Workers Analytics Engine dataset (production); one data point per MCP request. */
  analytics?: AnalyticsEngineDataset | null;
  flushDelayMs?: number;
}

export type Labels<L extends string> = Record<L, string>;

const NEEDS_ESCAPE = /[\\"\n]/;

/** Prometheus label value escaping: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  // Almost no label value needs escaping: one scan instead of three replaces on the request path.
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function renderLabels<L extends string>(definition: MetricDefinition<L>, labels: Labels<L>): string {
  return definition.labels.map((name) => `${name}="${escapeLabelValue(labels[name] ?? "")}"`).join(",");
}

/** Index of the latency bucket holding `ms` (the last one is +Inf). */
export function latencyBucket(ms: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? LATENCY_BUCKET_COUNT - 1 : index;
}

export class MetricsRecorder {
  private series = new Map<string, SeriesDelta>();
  private usageRows = new Map<string, UsageDelta>();
  private flushScheduled = false;
  /** The write in progress: a flush waits for earlier ones, so "flushed" means "stored". */
  private writing: Promise<void> = Promise.resolve();
  private readonly flushDelayMs: number;

  constructor(
    readonly store: MetricsStore,
    private readonly options: MetricsOptions,
  ) {
    this.flushDelayMs = options.flushDelayMs ?? METRICS_FLUSH_DELAY_MS;
  }

  get enabled(): boolean {
    return this.options.enabled;
  }

  count<L extends string>(definition: MetricDefinition<L>, labels: Labels<L>, by = 1, waitUntil?: WaitUntil) {
    if (!this.options.enabled) return;
    this.add(definition.name, renderLabels(definition, labels), by);
    this.schedule(waitUntil);
  }

  /** One observation of a histogram (seconds): its bucket (stored non-cumulative) and its sum. */
  observe<L extends string>(
    definition: MetricDefinition<L>,
    labels: Labels<L>,
    seconds: number,
    waitUntil?: WaitUntil,
  ) {
    if (!this.options.enabled) return;
    const rendered = renderLabels(definition, labels);
    const index = latencyBucket(seconds * 1000);
    const bound = LATENCY_BUCKETS_SECONDS[index];
    const le = bound === undefined ? "+Inf" : String(bound);
    this.add(`${definition.name}_bucket`, `${rendered}${rendered ? "," : ""}le="${le}"`, 1);
    this.add(`${definition.name}_sum`, rendered, seconds);
    this.schedule(waitUntil);
  }

  /** Requests, errors, latencies, tool executions and usage rollups from MCP audit events. */
  recordAudit(waitUntil: WaitUntil, events: AuditEvent[]): void {
    if (!this.options.enabled) return;
    for (const event of events) {
      if (event.category !== "mcp") continue;
      const tenant = event.tenant;
      const server = event.serverPath ?? "";
      const method = event.method ?? "";
      const outcome = event.outcome;
      const seconds = (event.durationMs ?? 0) / 1000;
      this.count(METRICS.requests, { tenant, server, method, outcome }, 1, waitUntil);
      if (!SUCCESS_OUTCOMES.has(outcome))
        this.count(METRICS.errors, { tenant, server, method, outcome }, 1, waitUntil);
      this.observe(METRICS.requestLatency, { tenant, server, method }, seconds, waitUntil);
      if (method === "tools/call" && event.tool) {
        const tool = event.tool;
        this.count(METRICS.toolExecutions, { tenant, server, tool, outcome }, 1, waitUntil);
        this.observe(METRICS.toolLatency, { tenant, server, tool }, seconds, waitUntil);
      }
      this.addUsage(event);
      this.options.analytics?.writeDataPoint({
        indexes: [tenant],
        blobs: [server, method, event.tool ?? "", outcome, event.subject ?? "", event.decision],
        doubles: [event.durationMs ?? 0, event.upstreamStatus ?? 0],
      });
    }
  }

  /** Writes what this isolate has gathered so far (also used by /metrics before reading). */
  async flush(): Promise<void> {
    const series = [...this.series.values()];
    const usage = [...this.usageRows.values()];
    this.series = new Map();
    this.usageRows = new Map();
    const previous = this.writing;
    this.writing = previous.then(() =>
      series.length > 0 || usage.length > 0 ? this.write(series, usage) : undefined,
    );
    await this.writing;
  }

  private async write(series: SeriesDelta[], usage: UsageDelta[]): Promise<void> {
    try {
      await this.store.add(series, usage);
    } catch (error) {
      console.error(
        JSON.stringify({
          level: "error",
          event: "metrics_write_failed",
          lost: series.length + usage.length,
          error: String(error),
        }),
      );
    }
  }

  private add(name: string, labels: string, value: number): void {
    const key = `${name}\u0000${labels}`;
    const known = this.series.get(key);
    if (known) known.value += value;
    else this.series.set(key, { name, labels, value });
  }

  private addUsage(event: AuditEvent): void {
    const minute = Math.floor(Date.parse(event.occurredAt) / 60_000);
    const key = {
      tenant: event.tenant,
      minute,
      server: event.serverPath ?? "",
      method: event.method ?? "",
      tool: event.method === "tools/call" ? (event.tool ?? "") : "",
      caller: event.subject ?? "",
    };
    const id = JSON.stringify(Object.values(key));
    let row = this.usageRows.get(id);
    if (!row) {
      row = {
        ...key,
        calls: 0,
        errors: 0,
        denied: 0,
        rateLimited: 0,
        durationMsSum: 0,
        latency: new Array(LATENCY_BUCKET_COUNT).fill(0),
      };
      this.usageRows.set(id, row);
    }
    const durationMs = event.durationMs ?? 0;
    row.calls += 1;
    if (!SUCCESS_OUTCOMES.has(event.outcome)) row.errors += 1;
    if (event.outcome === "denied") row.denied += 1;
    if (event.outcome === "rate_limited") row.rateLimited += 1;
    row.durationMsSum += durationMs;
    const bucket = latencyBucket(durationMs);
    row.latency[bucket] = (row.latency[bucket] ?? 0) + 1;
  }

  private schedule(explicit: WaitUntil | undefined): void {
    const waitUntil = explicit ?? currentScope()?.waitUntil;
    if (this.series.size + this.usageRows.size >= MAX_PENDING) {
      const flushing = this.flush();
      waitUntil?.waitUntil(flushing);
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const later = new Promise((resolve) => setTimeout(resolve, this.flushDelayMs)).then(() => {
      this.flushScheduled = false;
      return this.flush();
    });
    // Without a request to keep alive (never expected), the timer still runs while the isolate lives.
    waitUntil?.waitUntil(later);
  }
}
