// AuditLog on D1. Inserts are chunked to stay under D1's 100 bound parameters
// and sent as one batch (one round trip, one transaction).
import { and, desc, eq, type SQL } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { AuditEvent, AuditLog, AuditQuery } from "../audit-log.ts";
import { auditEvents } from "./schema.ts";

const COLUMNS = 18;
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS);

export class D1AuditLog implements AuditLog {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async append(events: AuditEvent[]): Promise<void> {
    const inserts = [];
    for (let start = 0; start < events.length; start += ROWS_PER_INSERT) {
      inserts.push(this.db.insert(auditEvents).values(events.slice(start, start + ROWS_PER_INSERT)));
    }
    const [first, ...rest] = inserts;
    if (first) await this.db.batch([first, ...rest]);
  }

  async recent(tenant: string, query: AuditQuery): Promise<AuditEvent[]> {
    const conditions: SQL[] = [eq(auditEvents.tenant, tenant)];
    if (query.subject) conditions.push(eq(auditEvents.subject, query.subject));
    if (query.serverPath) conditions.push(eq(auditEvents.serverPath, query.serverPath));
    const rows = await this.db
      .select()
      .from(auditEvents)
      .where(and(...conditions))
      .orderBy(desc(auditEvents.occurredAt), desc(auditEvents.id))
      .limit(query.limit);
    return rows.map((row) => ({
      ...row,
      category: row.category as AuditEvent["category"],
      decision: row.decision as AuditEvent["decision"],
    }));
  }
}
