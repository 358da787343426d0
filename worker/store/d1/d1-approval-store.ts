// ApprovalStore on D1.
import { and, desc, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { ApprovalStatus, ApprovalStore, ToolApproval } from "../approval-store.ts";
import { toolApprovals } from "./schema.ts";

const ROWS_PER_INSERT = Math.floor(100 / 13);

export class D1ApprovalStore implements ApprovalStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async forServer(tenant: string, serverId: string): Promise<ToolApproval[]> {
    const rows = await this.db
      .select()
      .from(toolApprovals)
      .where(and(eq(toolApprovals.tenant, tenant), eq(toolApprovals.serverId, serverId)));
    return rows.map(toApproval);
  }

  async list(
    tenant: string,
    query: { status?: ApprovalStatus; serverId?: string; limit: number },
  ): Promise<ToolApproval[]> {
    const conditions: SQL[] = [eq(toolApprovals.tenant, tenant)];
    if (query.status) conditions.push(eq(toolApprovals.status, query.status));
    if (query.serverId) conditions.push(eq(toolApprovals.serverId, query.serverId));
    const rows = await this.db
      .select()
      .from(toolApprovals)
      .where(and(...conditions))
      .orderBy(desc(toolApprovals.updatedAt))
      .limit(query.limit);
    return rows.map(toApproval);
  }

  async get(tenant: string, id: string): Promise<ToolApproval | null> {
    const rows = await this.db
      .select()
      .from(toolApprovals)
      .where(and(eq(toolApprovals.tenant, tenant), eq(toolApprovals.id, id)))
      .limit(1);
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async apply(upserts: ToolApproval[], deletions: string[]): Promise<void> {
    const statements = [];
    if (deletions.length > 0)
      statements.push(this.db.delete(toolApprovals).where(inArray(toolApprovals.id, deletions)));
    for (let start = 0; start < upserts.length; start += ROWS_PER_INSERT) {
      const chunk = upserts.slice(start, start + ROWS_PER_INSERT);
      statements.push(
        this.db
          .insert(toolApprovals)
          .values(chunk)
          .onConflictDoUpdate({
            target: toolApprovals.id,
            set: {
              status: sqlExcluded("status"),
              reason: sqlExcluded("reason"),
              approvedFingerprint: sqlExcluded("approved_fingerprint"),
              approvedDefinition: sqlExcluded("approved_definition"),
              pendingFingerprint: sqlExcluded("pending_fingerprint"),
              pendingDefinition: sqlExcluded("pending_definition"),
              updatedAt: sqlExcluded("updated_at"),
              decidedBy: sqlExcluded("decided_by"),
              decidedAt: sqlExcluded("decided_at"),
            },
          }),
      );
    }
    const [first, ...rest] = statements;
    if (first) await this.db.batch([first, ...rest]);
  }

  async decide(row: ToolApproval, expectedPending: string | null): Promise<boolean> {
    const { id, tenant, serverId: _server, key: _key, ...fields } = row;
    const guard =
      expectedPending === null
        ? isNull(toolApprovals.pendingFingerprint)
        : eq(toolApprovals.pendingFingerprint, expectedPending);
    const result = await this.db
      .update(toolApprovals)
      .set(fields)
      .where(and(eq(toolApprovals.tenant, tenant), eq(toolApprovals.id, id), guard))
      .returning({ id: toolApprovals.id });
    return result.length === 1;
  }
}

function sqlExcluded(column: string) {
  return sql.raw(`excluded.${column}`);
}

function toApproval(row: typeof toolApprovals.$inferSelect): ToolApproval {
  return {
    ...row,
    status: row.status as ToolApproval["status"],
    reason: row.reason as ToolApproval["reason"],
    approvedDefinition: row.approvedDefinition ?? null,
    pendingDefinition: row.pendingDefinition ?? null,
  };
}
