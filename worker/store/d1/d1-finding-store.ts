// FindingStore on D1: a server's findings are deleted and inserted in one
// batch (one transaction), chunked under D1's 100 bound parameters.
import { and, desc, eq, gte, inArray, lt, type SQL } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { type FindingCategory, type Severity, severityRank } from "../finding-model.ts";
import {
  type FindingPage,
  type FindingQuery,
  type FindingStore,
  InvalidFindingCursorError,
  type NewFinding,
} from "../finding-store.ts";
import { securityFindings } from "./schema.ts";

const COLUMNS = 15;
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS);

export class D1FindingStore implements FindingStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async replaceForServer(tenant: string, serverId: string, findings: NewFinding[]): Promise<void> {
    const rows = findings.map((finding) => ({ ...finding, severityRank: severityRank(finding.severity) }));
    const statements = [
      this.db
        .delete(securityFindings)
        .where(and(eq(securityFindings.tenant, tenant), eq(securityFindings.serverId, serverId))),
      ...chunks(rows, ROWS_PER_INSERT).map((chunk) => this.db.insert(securityFindings).values(chunk)),
    ];
    const [first, ...rest] = statements;
    if (first) await this.db.batch([first, ...rest]);
  }

  async list(tenant: string, query: FindingQuery): Promise<FindingPage> {
    const conditions: SQL[] = [eq(securityFindings.tenant, tenant)];
    if (query.serverId) conditions.push(eq(securityFindings.serverId, query.serverId));
    if (query.serverIds) {
      if (query.serverIds.length === 0) return { items: [], nextCursor: null };
      conditions.push(inArray(securityFindings.serverId, query.serverIds));
    }
    if (query.minSeverity)
      conditions.push(gte(securityFindings.severityRank, severityRank(query.minSeverity)));
    if (query.category) conditions.push(eq(securityFindings.category, query.category));
    if (query.ruleId) conditions.push(eq(securityFindings.ruleId, query.ruleId));
    if (query.kind) conditions.push(eq(securityFindings.kind, query.kind));
    if (query.cursor !== undefined) conditions.push(lt(securityFindings.id, decodeCursor(query.cursor)));
    const rows = await this.db
      .select()
      .from(securityFindings)
      .where(and(...conditions))
      .orderBy(desc(securityFindings.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ severityRank: _rank, ...row }) => ({
        ...row,
        severity: row.severity as Severity,
        category: row.category as FindingCategory,
      })),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.id) : null,
    };
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

function encodeCursor(id: number): string {
  return btoa(JSON.stringify({ id })).replace(/=+$/, "");
}

function decodeCursor(cursor: string): number {
  try {
    const value = JSON.parse(atob(cursor)) as { id?: unknown };
    if (typeof value.id === "number" && Number.isInteger(value.id)) return value.id;
  } catch {
    // fall through
  }
  throw new InvalidFindingCursorError("not a cursor from a previous page");
}
