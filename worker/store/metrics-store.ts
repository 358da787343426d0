// The metrics storage port: Prometheus series (monotonic counters, including
// histogram buckets and sums) and per-minute usage rollups. Writes are
// increments, so any number of isolates can add to the same rows and the
// totals stay exact.

/** Histogram upper bounds in seconds (then +Inf); the usage rollups use the same bounds in ms. */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;
export const LATENCY_BUCKETS_MS = LATENCY_BUCKETS_SECONDS.map((seconds) => Math.round(seconds * 1000));
/** Buckets including +Inf. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKETS_SECONDS.length + 1;

export interface SeriesDelta {
  name: string;
  /** The rendered label set, e.g. `tenant="t",server="s"` (canonical: definition order). */
  labels: string;
  value: number;
}

export interface SeriesRow {
  name: string;
  labels: string;
  value: number;
}

/** Identity of a usage rollup row. */
export interface UsageKey {
  tenant: string;
  /** Epoch minute (ms / 60000). */
  minute: number;
  server: string;
  method: string;
  /** Empty for requests that are not tools/call. */
  tool: string;
  /** The caller's subject. */
  caller: string;
}

export interface UsageCounts {
  calls: number;
  errors: number;
  denied: number;
  rateLimited: number;
  durationMsSum: number;
  /** Requests per latency bucket (LATENCY_BUCKETS_MS, then +Inf); not cumulative. */
  latency: number[];
}

export type UsageDelta = UsageKey & UsageCounts;

export interface UsageQuery {
  tenant: string;
  fromMinute: number;
  /** Exclusive. */
  toMinute: number;
  server?: string;
  tool?: string;
}

export interface PurgeResult {
  series: number;
  usage: number;
}

export interface MetricsStore {
  /** Adds the deltas (one transaction). */
  add(series: SeriesDelta[], usage: UsageDelta[]): Promise<void>;
  allSeries(): Promise<SeriesRow[]>;
  usage(query: UsageQuery): Promise<UsageDelta[]>;
  /** Drops series not incremented since `seriesIdleBefore` (epoch ms) and rollups before `usageBeforeMinute`. */
  purge(seriesIdleBefore: number, usageBeforeMinute: number): Promise<PurgeResult>;
}
