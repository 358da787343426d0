// The usage report behind the dashboard's charts: rollup rows (per minute,
// server, method, tool, caller) folded into time buckets, per-server series,
// top tools and callers, with latency percentiles estimated from the bucket
// counts (linear within a bucket, as Prometheus' histogram_quantile does).
import type { UsageDelta } from "../store/metrics-store.ts";
import { LATENCY_BUCKET_COUNT, LATENCY_BUCKETS_MS } from "./metrics-catalog.ts";

export const USAGE_WINDOWS = { "1h": 60, "24h": 24 * 60, "7d": 7 * 24 * 60 } as const;
export type UsageWindow = keyof typeof USAGE_WINDOWS;
/** Minutes per chart point for each window (60, 96 and 168 points). */
const STEP_MINUTES: Record<UsageWindow, number> = { "1h": 1, "24h": 15, "7d": 60 };
const TOP = 10;

export interface UsageStats {
  calls: number;
  errors: number;
  denied: number;
  rateLimited: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface UsageReport {
  window: UsageWindow;
  from: string;
  to: string;
  stepSeconds: number;
  totals: UsageStats;
  series: (UsageStats & { at: string })[];
  servers: (UsageStats & { server: string; calls: number; series: number[] })[];
  tools: (UsageStats & { server: string; tool: string; series: number[] })[];
  callers: (UsageStats & { caller: string })[];
}

interface Accumulator {
  calls: number;
  errors: number;
  denied: number;
  rateLimited: number;
  latency: number[];
}

const empty = (): Accumulator => ({
  calls: 0,
  errors: 0,
  denied: 0,
  rateLimited: 0,
  latency: new Array(LATENCY_BUCKET_COUNT).fill(0),
});

function add(into: Accumulator, row: UsageDelta): void {
  into.calls += row.calls;
  into.errors += row.errors;
  into.denied += row.denied;
  into.rateLimited += row.rateLimited;
  row.latency.forEach((count, index) => {
    into.latency[index] = (into.latency[index] ?? 0) + count;
  });
}

/** The q-quantile (0..1) of a bucketed latency distribution, in ms; null without data. */
export function quantileMs(latency: number[], q: number): number | null {
  const total = latency.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let index = 0; index < latency.length; index++) {
    const count = latency[index] ?? 0;
    if (seen + count >= rank && count > 0) {
      const lower = index === 0 ? 0 : (LATENCY_BUCKETS_MS[index - 1] ?? 0);
      const upper = LATENCY_BUCKETS_MS[index];
      // The +Inf bucket has no upper bound: report its lower bound.
      if (upper === undefined) return lower;
      return Math.round((lower + ((upper - lower) * (rank - seen)) / count) * 10) / 10;
    }
    seen += count;
  }
  return LATENCY_BUCKETS_MS.at(-1) ?? null;
}

function stats(accumulator: Accumulator): UsageStats {
  return {
    calls: accumulator.calls,
    errors: accumulator.errors,
    denied: accumulator.denied,
    rateLimited: accumulator.rateLimited,
    errorRate:
      accumulator.calls === 0 ? 0 : Math.round((accumulator.errors / accumulator.calls) * 10_000) / 10_000,
    p50Ms: quantileMs(accumulator.latency, 0.5),
    p95Ms: quantileMs(accumulator.latency, 0.95),
  };
}

/** The minute range a window covers, ending with the current minute. */
export function windowRange(window: UsageWindow, nowMs: number): { fromMinute: number; toMinute: number } {
  const step = STEP_MINUTES[window];
  const toMinute = (Math.floor(nowMs / 60_000 / step) + 1) * step;
  return { fromMinute: toMinute - USAGE_WINDOWS[window], toMinute };
}

export function usageReport(rows: UsageDelta[], window: UsageWindow, nowMs: number): UsageReport {
  const step = STEP_MINUTES[window];
  const { fromMinute, toMinute } = windowRange(window, nowMs);
  const points = Math.round((toMinute - fromMinute) / step);
  const pointOf = (minute: number) =>
    Math.min(points - 1, Math.max(0, Math.floor((minute - fromMinute) / step)));

  const totals = empty();
  const series = Array.from({ length: points }, empty);
  const servers = new Map<string, { all: Accumulator; series: number[] }>();
  const tools = new Map<string, { server: string; tool: string; all: Accumulator; series: number[] }>();
  const callers = new Map<string, Accumulator>();
  for (const row of rows) {
    const point = pointOf(row.minute);
    add(totals, row);
    add(series[point] as Accumulator, row);
    const server = servers.get(row.server) ?? { all: empty(), series: new Array(points).fill(0) };
    add(server.all, row);
    server.series[point] += row.calls;
    servers.set(row.server, server);
    if (row.tool !== "") {
      const key = JSON.stringify([row.server, row.tool]);
      const tool = tools.get(key) ?? {
        server: row.server,
        tool: row.tool,
        all: empty(),
        series: new Array(points).fill(0),
      };
      add(tool.all, row);
      tool.series[point] += row.calls;
      tools.set(key, tool);
    }
    const caller = callers.get(row.caller) ?? empty();
    add(caller, row);
    callers.set(row.caller, caller);
  }
  const byCalls = <T extends { calls: number }>(a: T, b: T) => b.calls - a.calls;
  return {
    window,
    from: new Date(fromMinute * 60_000).toISOString(),
    to: new Date(toMinute * 60_000).toISOString(),
    stepSeconds: step * 60,
    totals: stats(totals),
    series: series.map((point, index) => ({
      at: new Date((fromMinute + index * step) * 60_000).toISOString(),
      ...stats(point),
    })),
    servers: [...servers]
      .map(([server, entry]) => ({ server, ...stats(entry.all), series: entry.series }))
      .sort(byCalls),
    tools: [...tools.values()]
      .map((entry) => ({ server: entry.server, tool: entry.tool, ...stats(entry.all), series: entry.series }))
      .sort(byCalls)
      .slice(0, TOP),
    callers: [...callers]
      .map(([caller, entry]) => ({ caller, ...stats(entry) }))
      .sort(byCalls)
      .slice(0, TOP),
  };
}
