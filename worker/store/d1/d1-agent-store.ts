// AgentStore on Cloudflare D1 through drizzle. One row per agent; the card is
// one JSON column (always read and written whole), name and description are
// copied out of it for listings and the text filter.
import { and, asc, eq, gt, type SQL, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import {
  type AgentCard,
  type AgentQuery,
  type AgentRecord,
  type AgentStore,
  DuplicateAgentPathError,
} from "../agent-store.ts";
import type { Page } from "../registry-store.ts";
import { decodeCursor, errorText, pageByPath, visibleTo } from "./d1-common.ts";
import { agents } from "./schema.ts";

type AgentRow = typeof agents.$inferSelect;

export class D1AgentStore implements AgentStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async insertAgent(agent: AgentRecord): Promise<void> {
    try {
      await this.db.insert(agents).values(toRow(agent));
    } catch (error) {
      if (isUniquePathViolation(error)) throw new DuplicateAgentPathError(agent.path);
      throw error;
    }
  }

  async getAgent(tenant: string, id: string): Promise<AgentRecord | null> {
    const rows = await this.db
      .select()
      .from(agents)
      .where(and(eq(agents.tenant, tenant), eq(agents.id, id)))
      .limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async getAgentByPath(path: string): Promise<AgentRecord | null> {
    const rows = await this.db.select().from(agents).where(eq(agents.path, path)).limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listAgents(tenant: string, query: AgentQuery): Promise<Page<AgentRecord>> {
    const conditions: SQL[] = [eq(agents.tenant, tenant)];
    if (query.enabled !== undefined) conditions.push(eq(agents.enabled, query.enabled));
    if (query.trustLevel !== undefined) conditions.push(eq(agents.trustLevel, query.trustLevel));
    if (query.paths !== undefined) {
      conditions.push(sql`${agents.path} in (select value from json_each(${JSON.stringify(query.paths)}))`);
    }
    if (query.tag !== undefined) {
      conditions.push(sql`exists (select 1 from json_each(${agents.tags}) where value = ${query.tag})`);
    }
    if (query.text !== undefined) {
      // Skills are searched too: their names, descriptions and tags live in the card.
      const haystack = sql`lower(${agents.name} || ' ' || ${agents.path} || ' ' || ${agents.description} || ' ' || coalesce(json_extract(${agents.card}, '$.skills'), ''))`;
      conditions.push(sql`instr(${haystack}, lower(${query.text})) > 0`);
    }
    if (query.viewer !== undefined) {
      const visible = visibleTo(agents, query.viewer);
      if (visible) conditions.push(visible);
    }
    if (query.cursor !== undefined) conditions.push(gt(agents.path, decodeCursor(query.cursor)));
    const rows = await this.db
      .select()
      .from(agents)
      .where(and(...conditions))
      .orderBy(asc(agents.path))
      .limit(query.limit + 1);
    return pageByPath(rows, query.limit, fromRow);
  }

  async updateAgent(agent: AgentRecord): Promise<boolean> {
    const { id, tenant, createdAt, ...changes } = toRow(agent);
    try {
      const updated = await this.db
        .update(agents)
        .set(changes)
        .where(and(eq(agents.tenant, tenant), eq(agents.id, id)))
        .returning({ id: agents.id });
      return updated.length > 0;
    } catch (error) {
      if (isUniquePathViolation(error)) throw new DuplicateAgentPathError(agent.path);
      throw error;
    }
  }

  async deleteAgent(tenant: string, id: string): Promise<boolean> {
    const deleted = await this.db
      .delete(agents)
      .where(and(eq(agents.tenant, tenant), eq(agents.id, id)))
      .returning({ id: agents.id });
    return deleted.length > 0;
  }
}

function toRow(agent: AgentRecord): AgentRow {
  return {
    id: agent.id,
    tenant: agent.tenant,
    path: agent.path,
    name: agent.card.name,
    description: agent.card.description,
    card: agent.card,
    tags: agent.tags,
    visibility: agent.visibility,
    visibilityGroups: agent.groups,
    trustLevel: agent.trustLevel,
    enabled: agent.enabled,
    owner: agent.owner,
    createdAt: agent.createdAt,
    updatedAt: agent.updatedAt,
  };
}

function fromRow(row: AgentRow): AgentRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    path: row.path,
    card: row.card as AgentCard,
    tags: row.tags,
    visibility: row.visibility,
    groups: row.visibilityGroups,
    trustLevel: row.trustLevel,
    enabled: row.enabled,
    owner: row.owner,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function isUniquePathViolation(error: unknown): boolean {
  return /UNIQUE constraint failed: agents\.path/.test(errorText(error));
}
