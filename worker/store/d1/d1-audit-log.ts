// AuditLog on D1. Appends are one prepared statement per chunk of events,
// each carrying its rows as ONE bound JSON text (`json_each`), so D1's limit
// of 100 bound parameters never splits a flush, and no query builder runs on
// the hot path (drizzle's insert was ~5% of the gateway isolate's CPU under
// load, issue 10); chunks go in one batch (one round trip, one transaction).
// A duplicate id is ignored (the failed-authentication limiter relies on it). Listings are
// keyset-paged on (occurred_at, id) newest first, so a page costs the same
// however deep the cursor is, and the export can walk the whole table.
import { and, desc, eq, gte, lt, or, type SQL } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { AuditEvent, AuditLog, AuditPage, AuditQuery } from "../audit-log.ts";
import { InvalidCursorError } from "../registry-store.ts";
import { decodeCursor, encodeCursor } from "./d1-common.ts";
import { auditEvents } from "./schema.ts";

/** Table columns in the order of each row's JSON array (see `rowOf`). */
const COLUMNS = [
  "id",
  "tenant",
  "occurred_at",
  "request_id",
  "category",
  "subject",
  "issuer",
  "server_id",
  "server_path",
  "method",
  "tool",
  "decision",
  "reason",
  "outcome",
  "upstream_status",
  "duration_ms",
  "detail",
] as const;
// `value ->> n` is the row's n-th element as an SQL value (text, integer or NULL); the
// `WHERE true` lets SQLite parse the upsert clause after a SELECT.
const INSERT_ROWS = `INSERT INTO audit_events (${COLUMNS.join(", ")}) SELECT ${COLUMNS.map(
  (_, index) => `value ->> ${index}`,
).join(", ")} FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`;
/** A chunk's JSON stays far below D1's 2 MB per value (one event may carry large arguments). */
const MAX_CHUNK_CHARS = 512 * 1024;
/** Separates occurred_at and id inside a cursor (neither contains it). */
const CURSOR_SEPARATOR = "|";

export class D1AuditLog implements AuditLog {
  private readonly db: DrizzleD1Database;

  constructor(private readonly database: D1Database) {
    this.db = drizzle(database);
  }

  async append(events: AuditEvent[]): Promise<void> {
    const statements: D1PreparedStatement[] = [];
    let rows: string[] = [];
    let chars = 0;
    const close = () => {
      statements.push(this.database.prepare(INSERT_ROWS).bind(`[${rows.join(",")}]`));
      rows = [];
      chars = 0;
    };
    for (const event of events) {
      const row = JSON.stringify(rowOf(event));
      if (rows.length > 0 && chars + row.length > MAX_CHUNK_CHARS) close();
      rows.push(row);
      chars += row.length + 1;
    }
    if (rows.length > 0) close();
    if (statements.length > 0) await this.database.batch(statements);
  }

  async list(tenant: string, query: AuditQuery): Promise<AuditPage> {
    const conditions: SQL[] = [eq(auditEvents.tenant, tenant)];
    if (query.from) conditions.push(gte(auditEvents.occurredAt, query.from));
    if (query.to) conditions.push(lt(auditEvents.occurredAt, query.to));
    if (query.category) conditions.push(eq(auditEvents.category, query.category));
    if (query.subject) conditions.push(eq(auditEvents.subject, query.subject));
    if (query.serverPath) conditions.push(eq(auditEvents.serverPath, query.serverPath));
    if (query.server) {
      const server = or(eq(auditEvents.serverId, query.server), eq(auditEvents.serverPath, query.server));
      if (server) conditions.push(server);
    }
    if (query.tool) conditions.push(eq(auditEvents.tool, query.tool));
    if (query.method) conditions.push(eq(auditEvents.method, query.method));
    if (query.decision) conditions.push(eq(auditEvents.decision, query.decision));
    if (query.outcome) conditions.push(eq(auditEvents.outcome, query.outcome));
    if (query.cursor) {
      const [at, id] = splitCursor(decodeCursor(query.cursor));
      const after = or(
        lt(auditEvents.occurredAt, at),
        and(eq(auditEvents.occurredAt, at), lt(auditEvents.id, id)),
      );
      if (after) conditions.push(after);
    }
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(toEvent),
      nextCursor:
        rows.length > query.limit && last
          ? encodeCursor(`${last.occurredAt}${CURSOR_SEPARATOR}${last.id}`)
          : null,
    };
  }

  async recent(tenant: string, query: AuditQuery): Promise<AuditEvent[]> {
    return (await this.list(tenant, query)).items;
  }
}

/** One event as the JSON array INSERT_ROWS reads; `detail` as the JSON text drizzle's json column stores. */
function rowOf(event: AuditEvent): unknown[] {
  return [
    event.id,
    event.tenant,
    event.occurredAt,
    event.requestId,
    event.category,
    event.subject,
    event.issuer,
    event.serverId,
    event.serverPath,
    event.method,
    event.tool,
    event.decision,
    event.reason,
    event.outcome,
    event.upstreamStatus,
    event.durationMs,
    event.detail === null || event.detail === undefined ? null : JSON.stringify(event.detail),
  ];
}

function splitCursor(value: string): [string, string] {
  const at = value.indexOf(CURSOR_SEPARATOR);
  if (at < 0) throw new InvalidCursorError("the cursor is not an audit cursor");
  return [value.slice(0, at), value.slice(at + 1)];
}

function toEvent(row: typeof auditEvents.$inferSelect): AuditEvent {
  return {
    ...row,
    category: row.category as AuditEvent["category"],
    decision: row.decision as AuditEvent["decision"],
  };
}
