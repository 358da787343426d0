// VirtualServerStore on Cloudflare D1 (table `virtual_servers`, see
// docs/storage.md). The unique index on `name` decides name races.
import { and, asc, eq } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import {
  DuplicateVirtualServerError,
  type VirtualServerChanges,
  type VirtualServerRecord,
  type VirtualServerStore,
} from "../virtual-server-store.ts";
import { errorText } from "./d1-common.ts";
import { virtualServers } from "./schema.ts";

type VirtualServerRow = typeof virtualServers.$inferSelect;

export class D1VirtualServerStore implements VirtualServerStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async insertVirtualServer(record: VirtualServerRecord): Promise<void> {
    try {
      await this.db.insert(virtualServers).values({ ...record });
    } catch (error) {
      if (isUniqueNameViolation(error)) throw new DuplicateVirtualServerError(record.name);
      throw error;
    }
  }

  async getVirtualServer(tenant: string, id: string): Promise<VirtualServerRecord | null> {
    const rows = await this.db
      .select()
      .from(virtualServers)
      .where(and(eq(virtualServers.tenant, tenant), eq(virtualServers.id, id)))
      .limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async getVirtualServerByName(name: string): Promise<VirtualServerRecord | null> {
    const rows = await this.db.select().from(virtualServers).where(eq(virtualServers.name, name)).limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listVirtualServers(tenant: string, limit: number): Promise<VirtualServerRecord[]> {
    const rows = await this.db
      .select()
      .from(virtualServers)
      .where(eq(virtualServers.tenant, tenant))
      .orderBy(asc(virtualServers.name))
      .limit(limit);
    return rows.map(fromRow);
  }

  async updateVirtualServer(
    tenant: string,
    id: string,
    changes: VirtualServerChanges,
  ): Promise<VirtualServerRecord | null> {
    const owned = and(eq(virtualServers.tenant, tenant), eq(virtualServers.id, id));
    try {
      const rows = await this.db.update(virtualServers).set(changes).where(owned).returning();
      return rows[0] ? fromRow(rows[0]) : null;
    } catch (error) {
      if (isUniqueNameViolation(error)) throw new DuplicateVirtualServerError(changes.name ?? "");
      throw error;
    }
  }

  async deleteVirtualServer(tenant: string, id: string): Promise<boolean> {
    const rows = await this.db
      .delete(virtualServers)
      .where(and(eq(virtualServers.tenant, tenant), eq(virtualServers.id, id)))
      .returning({ id: virtualServers.id });
    return rows.length > 0;
  }
}

function isUniqueNameViolation(error: unknown): boolean {
  return /UNIQUE constraint failed: virtual_servers\.name/.test(errorText(error));
}

function fromRow(row: VirtualServerRow): VirtualServerRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    description: row.description,
    mode: row.mode,
    tools: row.tools,
    resources: row.resources,
    prompts: row.prompts,
    enabled: row.enabled,
    owner: row.owner,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
