// ScopesStore on D1 through drizzle. Every write is a single statement (an
// upsert or a conditional update), so a replacement is atomic and two
// concurrent replacements get distinct revisions.
import { and, eq, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { ScopesStamp, ScopesStore, ScopesWrite, StoredScopes } from "../scopes-store.ts";
import { scopeConfigs } from "./schema.ts";

type ScopesRow = typeof scopeConfigs.$inferSelect;

export class D1ScopesStore implements ScopesStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async get(tenant: string): Promise<StoredScopes | null> {
    const rows = await this.db.select().from(scopeConfigs).where(eq(scopeConfigs.tenant, tenant)).limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async stamp(tenant: string): Promise<ScopesStamp | null> {
    const rows = await this.db
      .select({ revision: scopeConfigs.revision, updatedAt: scopeConfigs.updatedAt })
      .from(scopeConfigs)
      .where(eq(scopeConfigs.tenant, tenant))
      .limit(1);
    return rows[0] ?? null;
  }

  async insertIfAbsent(tenant: string, write: ScopesWrite): Promise<StoredScopes> {
    await this.db
      .insert(scopeConfigs)
      .values({ tenant, revision: 1, ...write })
      .onConflictDoNothing({ target: scopeConfigs.tenant });
    const stored = await this.get(tenant);
    if (!stored) throw new Error(`scopes for tenant "${tenant}" vanished right after being stored`);
    return stored;
  }

  async replace(tenant: string, write: ScopesWrite, expectedRevision?: number): Promise<StoredScopes | null> {
    if (expectedRevision === undefined) {
      const rows = await this.db
        .insert(scopeConfigs)
        .values({ tenant, revision: 1, ...write })
        .onConflictDoUpdate({
          target: scopeConfigs.tenant,
          set: { ...write, revision: sql`${scopeConfigs.revision} + 1` },
        })
        .returning();
      return rows[0] ? fromRow(rows[0]) : null;
    }
    if (expectedRevision === 0) {
      const rows = await this.db
        .insert(scopeConfigs)
        .values({ tenant, revision: 1, ...write })
        .onConflictDoNothing({ target: scopeConfigs.tenant })
        .returning();
      return rows[0] ? fromRow(rows[0]) : null;
    }
    const rows = await this.db
      .update(scopeConfigs)
      .set({ ...write, revision: sql`${scopeConfigs.revision} + 1` })
      .where(and(eq(scopeConfigs.tenant, tenant), eq(scopeConfigs.revision, expectedRevision)))
      .returning();
    return rows[0] ? fromRow(rows[0]) : null;
  }
}

function fromRow(row: ScopesRow): StoredScopes {
  return {
    tenant: row.tenant,
    document: row.document,
    revision: row.revision,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}
