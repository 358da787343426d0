// MetricsStore on D1. Every delta is an upsert that adds to the stored value
// (`value = value + excluded.value`); D1 runs a batch as one transaction on a
// single writer, so concurrent isolates' increments never lose each other.

import type {
  MetricsStore,
  PurgeResult,
  SeriesDelta,
  SeriesRow,
  UsageDelta,
  UsageQuery,
} from "../metrics-store.ts";
import { LATENCY_BUCKET_COUNT } from "../metrics-store.ts";

const LATENCY_COLUMNS = Array.from({ length: LATENCY_BUCKET_COUNT }, (_, index) => `lat_${index}`);
const USAGE_COLUMNS = [
  "tenant",
  "minute",
  "server",
  "method",
  "tool",
  "caller",
  "calls",
  "errors",
  "denied",
  "rate_limited",
  "duration_ms_sum",
  ...LATENCY_COLUMNS,
];
const USAGE_SUMS = ["calls", "errors", "denied", "rate_limited", "duration_ms_sum", ...LATENCY_COLUMNS];

const UPSERT_SERIES = `INSERT INTO metric_series (name, labels, value, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT(name, labels) DO UPDATE SET value = value + excluded.value, updated_at = excluded.updated_at`;
const UPSERT_USAGE = `INSERT INTO usage_rollups (${USAGE_COLUMNS.join(", ")})
  VALUES (${USAGE_COLUMNS.map(() => "?").join(", ")})
  ON CONFLICT(tenant, minute, server, method, tool, caller) DO UPDATE SET
  ${USAGE_SUMS.map((column) => `${column} = ${column} + excluded.${column}`).join(", ")}`;

interface UsageRow {
  tenant: string;
  minute: number;
  server: string;
  method: string;
  tool: string;
  caller: string;
  calls: number;
  errors: number;
  denied: number;
  rate_limited: number;
  duration_ms_sum: number;
  [latency: `lat_${number}`]: number;
}

export class D1MetricsStore implements MetricsStore {
  constructor(private readonly db: D1Database) {}

  async add(series: SeriesDelta[], usage: UsageDelta[]): Promise<void> {
    const now = Date.now();
    const statements = [
      ...series.map((delta) =>
        this.db.prepare(UPSERT_SERIES).bind(delta.name, delta.labels, delta.value, now),
      ),
      ...usage.map((delta) =>
        this.db
          .prepare(UPSERT_USAGE)
          .bind(
            delta.tenant,
            delta.minute,
            delta.server,
            delta.method,
            delta.tool,
            delta.caller,
            delta.calls,
            delta.errors,
            delta.denied,
            delta.rateLimited,
            delta.durationMsSum,
            ...LATENCY_COLUMNS.map((_, index) => delta.latency[index] ?? 0),
          ),
      ),
    ];
    if (statements.length > 0) await this.db.batch(statements);
  }

  async allSeries(): Promise<SeriesRow[]> {
    const { results } = await this.db
      .prepare("SELECT name, labels, value FROM metric_series ORDER BY name, labels")
      .all<SeriesRow>();
    return results;
  }

  async usage(query: UsageQuery): Promise<UsageDelta[]> {
    const conditions = ["tenant = ?", "minute >= ?", "minute < ?"];
    const values: unknown[] = [query.tenant, query.fromMinute, query.toMinute];
    if (query.server !== undefined) {
      conditions.push("server = ?");
      values.push(query.server);
    }
    if (query.tool !== undefined) {
      conditions.push("tool = ?");
      values.push(query.tool);
    }
    const { results } = await this.db
      .prepare(`SELECT * FROM usage_rollups WHERE ${conditions.join(" AND ")} ORDER BY minute`)
      .bind(...values)
      .all<UsageRow>();
    return results.map((row) => ({
      tenant: row.tenant,
      minute: row.minute,
      server: row.server,
      method: row.method,
      tool: row.tool,
      caller: row.caller,
      calls: row.calls,
      errors: row.errors,
      denied: row.denied,
      rateLimited: row.rate_limited,
      durationMsSum: row.duration_ms_sum,
      latency: LATENCY_COLUMNS.map((column) => Number(row[column as `lat_${number}`] ?? 0)),
    }));
  }

  async purge(seriesIdleBefore: number, usageBeforeMinute: number): Promise<PurgeResult> {
    const [series, usage] = await this.db.batch([
      this.db.prepare("DELETE FROM metric_series WHERE updated_at < ?").bind(seriesIdleBefore),
      this.db.prepare("DELETE FROM usage_rollups WHERE minute < ?").bind(usageBeforeMinute),
    ]);
    return { series: series?.meta.changes ?? 0, usage: usage?.meta.changes ?? 0 };
  }
}
