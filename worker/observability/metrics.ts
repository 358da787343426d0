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
import { currentScope } from "./tracing.ts";

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
  for (let index = 0; index < LATENCY_BUCKETS_MS.length; index++) {
    if (ms <= (LATENCY_BUCKETS_MS[index] as number)) return index;
  }
  return LATENCY_BUCKET_COUNT - 1;
}

/** A counter or histogram of one label set, summed in isolate memory until the next flush. */
interface PendingSeries {
  definition: MetricDefinition;
  labels: Record<string, string>;
  /** Counter: the increment. Histogram: the sum of observations (seconds). */
  value: number;
  /** Histogram only: observations per bucket (non-cumulative). */
  buckets: number[] | null;
}

/** MCP requests with the same labels, caller and minute (everything recordAudit derives is summed from it). */
interface CallTally {
  tenant: string;
  server: string;
  method: string;
  /** Empty for requests that are not tools/call. */
  tool: string;
  outcome: string;
  caller: string;
  minute: number;
  count: number;
  durationMsSum: number;
  latency: number[];
}

export class MetricsRecorder {
  // The request path only adds numbers to entries keyed by raw label values;
  // label rendering, usage rows and store deltas are built once per flush.
  private series = new Map<string, PendingSeries>();
  private calls = new Map<string, CallTally>();
  private flushScheduled = false;
  /** The write in progress: a flush waits for earlier ones, so "flushed" means "stored". */
  private writing: Promise<void> = Promise.resolve();
  private readonly flushDelayMs: number;
  /** The last `occurredAt` minute prefix seen and its epoch minute (events of a burst share it). */
  private minuteText = "";
  private minute = 0;

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
    this.pending(definition, labels, false).value += by;
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
    const entry = this.pending(definition, labels, true);
    entry.value += seconds;
    const buckets = entry.buckets as number[];
    const index = latencyBucket(seconds * 1000);
    buckets[index] = (buckets[index] ?? 0) + 1;
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
      const tool = method === "tools/call" ? (event.tool ?? "") : "";
      const outcome = event.outcome;
      const caller = event.subject ?? "";
      const minute = this.minuteOf(event.occurredAt);
      const durationMs = event.durationMs ?? 0;
      const key = `${tenant}\u0000${server}\u0000${method}\u0000${tool}\u0000${outcome}\u0000${caller}\u0000${minute}`;
      let tally = this.calls.get(key);
      if (!tally) {
        tally = {
          tenant,
          server,
          method,
          tool,
          outcome,
          caller,
          minute,
          count: 0,
          durationMsSum: 0,
          latency: new Array(LATENCY_BUCKET_COUNT).fill(0),
        };
        this.calls.set(key, tally);
      }
      tally.count += 1;
      tally.durationMsSum += durationMs;
      const bucket = latencyBucket(durationMs);
      tally.latency[bucket] = (tally.latency[bucket] ?? 0) + 1;
      this.options.analytics?.writeDataPoint({
        indexes: [tenant],
        blobs: [server, method, event.tool ?? "", outcome, event.subject ?? "", event.decision],
        doubles: [durationMs, event.upstreamStatus ?? 0],
      });
    }
    this.schedule(waitUntil);
  }

  /** Writes what this isolate has gathered so far (also used by /metrics before reading). */
  async flush(): Promise<void> {
    const { series, usage } = this.drain();
    const previous = this.writing;
    this.writing = previous.then(() =>
      series.length > 0 || usage.length > 0 ? this.write(series, usage) : undefined,
    );
    await this.writing;
  }

  /** Takes the pending entries and turns them into store deltas (rendered series, usage rows). */
  private drain(): { series: SeriesDelta[]; usage: UsageDelta[] } {
    const pendingSeries = this.series;
    const calls = this.calls;
    this.series = new Map();
    this.calls = new Map();
    const deltas = new Map<string, SeriesDelta>();
    const add = (name: string, labels: string, value: number) => {
      const key = `${name}\u0000${labels}`;
      const known = deltas.get(key);
      if (known) known.value += value;
      else deltas.set(key, { name, labels, value });
    };
    const addHistogram = (definition: MetricDefinition, rendered: string, buckets: number[], sum: number) => {
      const separator = rendered ? "," : "";
      for (const [index, count] of buckets.entries()) {
        if (!count) continue;
        const bound = LATENCY_BUCKETS_SECONDS[index];
        add(`${definition.name}_bucket`, `${rendered}${separator}le="${bound ?? "+Inf"}"`, count);
      }
      add(`${definition.name}_sum`, rendered, sum);
    };
    for (const entry of pendingSeries.values()) {
      const rendered = renderLabels(entry.definition, entry.labels);
      if (entry.buckets) addHistogram(entry.definition, rendered, entry.buckets, entry.value);
      else add(entry.definition.name, rendered, entry.value);
    }
    const usage = new Map<string, UsageDelta>();
    for (const tally of calls.values()) {
      const { tenant, server, method, tool, outcome, count } = tally;
      const failed = !SUCCESS_OUTCOMES.has(outcome);
      const seconds = tally.durationMsSum / 1000;
      add(METRICS.requests.name, renderLabels(METRICS.requests, { tenant, server, method, outcome }), count);
      if (failed)
        add(METRICS.errors.name, renderLabels(METRICS.errors, { tenant, server, method, outcome }), count);
      const latencyLabels = renderLabels(METRICS.requestLatency, { tenant, server, method });
      addHistogram(METRICS.requestLatency, latencyLabels, tally.latency, seconds);
      if (tool) {
        const toolLabels = { tenant, server, tool, outcome };
        add(METRICS.toolExecutions.name, renderLabels(METRICS.toolExecutions, toolLabels), count);
        const rendered = renderLabels(METRICS.toolLatency, { tenant, server, tool });
        addHistogram(METRICS.toolLatency, rendered, tally.latency, seconds);
      }
      const id = JSON.stringify([tenant, tally.minute, server, method, tool, tally.caller]);
      let row = usage.get(id);
      if (!row) {
        row = {
          tenant,
          minute: tally.minute,
          server,
          method,
          tool,
          caller: tally.caller,
          calls: 0,
          errors: 0,
          denied: 0,
          rateLimited: 0,
          durationMsSum: 0,
          latency: new Array(LATENCY_BUCKET_COUNT).fill(0),
        };
        usage.set(id, row);
      }
      row.calls += count;
      if (failed) row.errors += count;
      if (outcome === "denied") row.denied += count;
      if (outcome === "rate_limited") row.rateLimited += count;
      row.durationMsSum += tally.durationMsSum;
      for (const [index, value] of tally.latency.entries())
        row.latency[index] = (row.latency[index] ?? 0) + value;
    }
    return { series: [...deltas.values()], usage: [...usage.values()] };
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

  /** The pending entry of a label set, keyed by its raw values (rendered only at flush). */
  private pending(definition: MetricDefinition, labels: Record<string, string>, histogram: boolean) {
    let key = definition.name;
    for (const name of definition.labels) key += `\u0000${labels[name] ?? ""}`;
    let entry = this.series.get(key);
    if (!entry) {
      entry = {
        definition,
        labels: { ...labels },
        value: 0,
        buckets: histogram ? new Array(LATENCY_BUCKET_COUNT).fill(0) : null,
      };
      this.series.set(key, entry);
    }
    return entry;
  }

  /** Epoch minute of an ISO timestamp, parsed once per minute of events. */
  private minuteOf(occurredAt: string): number {
    const text = occurredAt.slice(0, 16); // YYYY-MM-DDTHH:MM
    if (text !== this.minuteText) {
      this.minuteText = text;
      this.minute = Math.floor(Date.parse(occurredAt) / 60_000);
    }
    return this.minute;
  }

  private schedule(explicit: WaitUntil | undefined): void {
    const full = this.series.size + this.calls.size >= MAX_PENDING;
    // A flush already scheduled: nothing to keep alive, and the request scope is not looked up.
    if (!full && this.flushScheduled) return;
    const waitUntil = explicit ?? currentScope()?.waitUntil;
    if (full) {
      const flushing = this.flush();
      waitUntil?.waitUntil(flushing);
      return;
    }
    this.flushScheduled = true;
    const later = new Promise((resolve) => setTimeout(resolve, this.flushDelayMs)).then(() => {
      this.flushScheduled = false;
      return this.flush();
    });
    // Without a request to keep alive (never expected), the timer still runs while the isolate lives.
    waitUntil?.waitUntil(later);
  }
}
