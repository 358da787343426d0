// AuditLog on D1. Inserts are chunked to stay under D1's 100 bound parameters
// and sent as one batch (one round trip, one transaction); a duplicate id is
// ignored (the failed-authentication limiter relies on it). Listings are
// keyset-paged on (occurred_at, id) newest first, so a page costs the same
// however deep the cursor is, and the export can walk the whole table.
import { and, desc, eq, gte, lt, or, type SQL } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { AuditEvent, AuditLog, AuditPage, AuditQuery } from "../audit-log.ts";
import { InvalidCursorError } from "../registry-store.ts";
import { decodeCursor, encodeCursor } from "./d1-common.ts";
import { auditEvents } from "./schema.ts";

const COLUMNS = 18;
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS);
/** Separates occurred_at and id inside a cursor (neither contains it). */
const CURSOR_SEPARATOR = "|";

export class D1AuditLog implements AuditLog {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async append(events: AuditEvent[]): Promise<void> {
    const inserts = [];
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      inserts.push(
        this.db
          .insert(auditEvents)
          .values(events.slice(start, start + ROWS_PER_INSERT))
          .onConflictDoNothing(),
      );
    }
    const [first, ...rest] = inserts;
    if (first) await this.db.batch([first, ...rest]);
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
