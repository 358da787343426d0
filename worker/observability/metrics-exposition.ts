// Prometheus text exposition (format 0.0.4) of the stored series. Histogram
// buckets are stored per bucket and made cumulative here; `_count` is the
// +Inf bucket, so count and buckets always agree.
import type { SeriesRow } from "../store/metrics-store.ts";
import { escapeLabelValue } from "./metrics.ts";
import { ALL_METRICS, LATENCY_BUCKETS_SECONDS, type MetricDefinition } from "./metrics-catalog.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const BOUNDS = [...LATENCY_BUCKETS_SECONDS.map(String), "+Inf"];
const LE_SUFFIX = /,?le="([^"]*)"$/;

/** Keeps only series of one tenant (tenant-less series, e.g. authentications, are gateway-wide and left out). */
export function tenantFilter(tenant: string): (row: SeriesRow) => boolean {
  const prefix = `tenant="${escapeLabelValue(tenant)}"`;
  return (row) => row.labels === prefix || row.labels.startsWith(`${prefix},`);
}

export function renderExposition(rows: SeriesRow[], keep: (row: SeriesRow) => boolean = () => true): string {
  const byName = new Map<string, SeriesRow[]>();
  for (const row of rows) {
    if (!keep(row)) continue;
    const list = byName.get(row.name) ?? [];
    list.push(row);
    byName.set(row.name, list);
  }
  const lines: string[] = [];
  for (const definition of ALL_METRICS) {
    lines.push(`# HELP ${definition.name} ${definition.help}`);
    lines.push(`# TYPE ${definition.name} ${definition.type}`);
    if (definition.type === "counter") {
      for (const row of byName.get(definition.name) ?? []) {
        lines.push(`${definition.name}${braces(row.labels)} ${formatValue(row.value)}`);
      }
    } else {
      lines.push(...histogramLines(definition, byName));
    }
  }
  return `${lines.join("\n")}\n`;
}

function histogramLines(definition: MetricDefinition, byName: Map<string, SeriesRow[]>): string[] {
  const buckets = new Map<string, Map<string, number>>();
  for (const row of byName.get(`${definition.name}_bucket`) ?? []) {
    const match = LE_SUFFIX.exec(row.labels);
    if (!match?.[1]) continue;
    const base = row.labels.slice(0, match.index);
    const counts = buckets.get(base) ?? new Map<string, number>();
    counts.set(match[1], (counts.get(match[1]) ?? 0) + row.value);
    buckets.set(base, counts);
  }
  const sums = new Map((byName.get(`${definition.name}_sum`) ?? []).map((row) => [row.labels, row.value]));
  const lines: string[] = [];
  for (const [base, counts] of [...buckets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    let cumulative = 0;
    for (const bound of BOUNDS) {
      cumulative += counts.get(bound) ?? 0;
      const labels = `${base}${base ? "," : ""}le="${bound}"`;
      lines.push(`${definition.name}_bucket{${labels}} ${formatValue(cumulative)}`);
    }
    lines.push(`${definition.name}_sum${braces(base)} ${formatValue(sums.get(base) ?? 0)}`);
    lines.push(`${definition.name}_count${braces(base)} ${formatValue(cumulative)}`);
  }
  return lines;
}

function braces(labels: string): string {
  return labels ? `{${labels}}` : "";
}

function formatValue(value: number): string {
  if (Number.isInteger(value)) return String(value);
  // Sums of float seconds: round away binary noise while keeping microseconds.
  return String(Math.round(value * 1e6) / 1e6);
}
