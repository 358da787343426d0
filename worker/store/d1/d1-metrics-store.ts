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

// One statement per chunk of rows (multi-row upsert) rather than one per
// row: a flush of a busy isolate carries ~20 series and a few usage rows,
// and each statement of a D1 batch has its own cost. D1 allows at most 100
// bound parameters per statement, which sets the chunk sizes. SQLite applies
// a statement's rows in turn, so a key named twice in one chunk still adds up.
const MAX_PARAMETERS = 100;
const SERIES_COLUMNS = ["name", "labels", "value", "updated_at"];
const SERIES_CHUNK = Math.floor(MAX_PARAMETERS / SERIES_COLUMNS.length);
const USAGE_CHUNK = Math.floor(MAX_PARAMETERS / USAGE_COLUMNS.length);

function upsert(table: string, columns: string[], rows: number, conflict: string, update: string): string {
  const row = `(${columns.map(() => "?").join(", ")})`;
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${Array.from({ length: rows }, () => row).join(", ")}
  ON CONFLICT(${conflict}) DO UPDATE SET ${update}`;
}

const upsertSeries = (rows: number) =>
  upsert(
    "metric_series",
    SERIES_COLUMNS,
    rows,
    "name, labels",
    "value = value + excluded.value, updated_at = excluded.updated_at",
  );
const upsertUsage = (rows: number) =>
  upsert(
    "usage_rollups",
    USAGE_COLUMNS,
    rows,
    "tenant, minute, server, method, tool, caller",
    USAGE_SUMS.map((column) => `${column} = ${column} + excluded.${column}`).join(", "),
  );

function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

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
      ...chunks(series, SERIES_CHUNK).map((chunk) =>
        this.db
          .prepare(upsertSeries(chunk.length))
          .bind(...chunk.flatMap((delta) => [delta.name, delta.labels, delta.value, now])),
      ),
      ...chunks(usage, USAGE_CHUNK).map((chunk) =>
        this.db
          .prepare(upsertUsage(chunk.length))
          .bind(
            ...chunk.flatMap((delta) => [
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
            ]),
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
