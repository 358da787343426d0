// FederationStore on D1 through drizzle: one row per source; the last sync
// report is JSON in the row (always read and written whole with it).
import { and, eq, isNotNull } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import {
  DuplicateSourceNameError,
  type FederationSource,
  type FederationStore,
  type SyncReport,
} from "../federation-store.ts";
import { errorText } from "./d1-common.ts";
import { federationSources } from "./schema.ts";

type SourceRow = typeof federationSources.$inferSelect;

export class D1FederationStore implements FederationStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async insert(source: FederationSource): Promise<void> {
    try {
      await this.db.insert(federationSources).values(source);
    } catch (error) {
      if (
        /UNIQUE constraint failed: federation_sources\.tenant, federation_sources\.name/.test(
          errorText(error),
        )
      ) {
        throw new DuplicateSourceNameError(`a source named "${source.name}" exists`);
      }
      throw error;
    }
  }

  async get(tenant: string, id: string): Promise<FederationSource | null> {
    const rows = await this.db
      .select()
      .from(federationSources)
      .where(and(eq(federationSources.tenant, tenant), eq(federationSources.id, id)))
      .limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async list(tenant: string): Promise<FederationSource[]> {
    const rows = await this.db
      .select()
      .from(federationSources)
      .where(eq(federationSources.tenant, tenant))
      .orderBy(federationSources.name);
    return rows.map(fromRow);
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(federationSources)
      .where(and(eq(federationSources.tenant, tenant), eq(federationSources.id, id)))
      .returning({ id: federationSources.id });
    return deleted.length > 0;
  }

  async recordSync(tenant: string, id: string, report: SyncReport): Promise<boolean> {
    const updated = await this.db
      .update(federationSources)
      .set({ lastSyncAt: report.finishedAt, lastSync: report })
      .where(and(eq(federationSources.tenant, tenant), eq(federationSources.id, id)))
      .returning({ id: federationSources.id });
    return updated.length > 0;
  }

  async listScheduled(): Promise<FederationSource[]> {
    const rows = await this.db
      .select()
      .from(federationSources)
      .where(isNotNull(federationSources.syncIntervalMinutes));
    return rows.map(fromRow);
  }
}

function fromRow(row: SourceRow): FederationSource {
  return { ...row, auth: row.auth ?? null, lastSync: row.lastSync ?? null };
}
