// RegistryStore on Cloudflare D1 through drizzle. Multi-statement writes go
// through `db.batch`, which D1 runs as one transaction: a server is never
// stored without its catalog, nor a catalog without its state.
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import {
  type CatalogEntry,
  type CatalogKind,
  type CatalogState,
  DuplicatePathError,
  DuplicateRegistryNameError,
  type HealthSummary,
  InvalidCursorError,
  type Page,
  publishedVersion,
  type RegistryEntryQuery,
  type RegistryStore,
  type ServerQuery,
  type ServerRecord,
  type ServerVersion,
  type ToolSummary,
  versionSnapshot,
} from "../registry-store.ts";
import { decodeCursor, errorText, pageByPath, visibleTo } from "./d1-common.ts";
import { catalogEntries, servers, serverVersions } from "./schema.ts";

// D1 allows at most 100 bound parameters per statement.
const MAX_BOUND_PARAMETERS = 100;
const CATALOG_COLUMNS = 8;
const CATALOG_ROWS_PER_INSERT = Math.floor(MAX_BOUND_PARAMETERS / CATALOG_COLUMNS);
const IDS_PER_QUERY = MAX_BOUND_PARAMETERS - 2;

type ServerRow = typeof servers.$inferSelect;
type VersionRow = typeof serverVersions.$inferSelect;
type Statement = BatchItem<"sqlite">;

export class D1RegistryStore implements RegistryStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async insertServer(server: ServerRecord, catalog: CatalogEntry[]): Promise<void> {
    const statements: Statement[] = [
      this.db.insert(servers).values(toRow(server)),
      this.versionUpsert(server),
    ];
    statements.push(...this.catalogInserts(server.id, catalog));
    await this.runBatch(statements, server);
  }

  async getServer(tenant: string, id: string): Promise<ServerRecord | null> {
    const rows = await this.db
      .select()
      .from(servers)
      .where(and(eq(servers.tenant, tenant), eq(servers.id, id)))
      .limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async getServerByPath(path: string): Promise<ServerRecord | null> {
    const rows = await this.db.select().from(servers).where(eq(servers.path, path)).limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listServers(tenant: string, query: ServerQuery): Promise<Page<ServerRecord>> {
    const conditions: SQL[] = [eq(servers.tenant, tenant)];
    if (query.enabled !== undefined) conditions.push(eq(servers.enabled, query.enabled));
    if (query.path !== undefined) conditions.push(eq(servers.path, query.path));
    if (query.paths !== undefined) {
      // One JSON parameter, however many paths: D1's 100-parameter limit never applies.
      conditions.push(sql`${servers.path} in (select value from json_each(${JSON.stringify(query.paths)}))`);
    }
    if (query.tag !== undefined) {
      conditions.push(sql`exists (select 1 from json_each(${servers.tags}) where value = ${query.tag})`);
    }
    if (query.text !== undefined) {
      const haystack = sql`lower(${servers.name} || ' ' || ${servers.path} || ' ' || ${servers.description})`;
      conditions.push(sql`instr(${haystack}, lower(${query.text})) > 0`);
    }
    if (query.visibilities !== undefined) {
      conditions.push(
        sql`${servers.visibility} in (select value from json_each(${JSON.stringify(query.visibilities)}))`,
      );
    }
    if (query.viewer !== undefined) {
      const visible = visibleTo(servers, query.viewer);
      if (visible) conditions.push(visible);
    }
    if (query.cursor !== undefined) conditions.push(gt(servers.path, decodeCursor(query.cursor)));

    const rows = await this.db
      .select()
      .from(servers)
      .where(and(...conditions))
      .orderBy(asc(servers.path))
      .limit(query.limit + 1);
    return pageByPath(rows, query.limit, fromRow);
  }

  async updateServer(server: ServerRecord, catalog?: CatalogEntry[]): Promise<boolean> {
    // Health is written only by updateHealth: a record read before a health
    // report must not undo it.
    const { id, tenant, createdAt, healthStatus, healthDetail, ...changes } = toRow(server);
    const statements: Statement[] = [
      this.db
        .update(servers)
        .set(changes)
        .where(and(eq(servers.tenant, tenant), eq(servers.id, id)))
        .returning({ id: servers.id }),
      // After the update: if the server vanished meanwhile, the foreign key refuses this row.
      this.versionUpsert(server),
    ];
    if (catalog) {
      statements.push(this.db.delete(catalogEntries).where(eq(catalogEntries.serverId, id)));
      statements.push(...this.catalogInserts(id, catalog));
    }
    try {
      const [updated] = (await this.runBatch(statements, server)) as [{ id: string }[]];
      return updated.length > 0;
    } catch (error) {
      // The server vanished meanwhile: the foreign key refused the catalog
      // inserts and the batch rolled back.
      if (isForeignKeyViolation(error)) return false;
      throw error;
    }
  }

  async updateCatalog(
    tenant: string,
    id: string,
    state: CatalogState,
    entries?: CatalogEntry[],
  ): Promise<boolean> {
    // Tenants never change, so this check cannot go stale; a deletion meanwhile
    // makes the entry inserts fail on the foreign key and the batch roll back.
    if (entries && !(await this.owns(tenant, id))) return false;
    const { status, checkedAt, ...detail } = state;
    const statements: Statement[] = [
      this.db
        .update(servers)
        .set({ catalogStatus: status, catalogCheckedAt: checkedAt, catalogDetail: detail })
        .where(and(eq(servers.tenant, tenant), eq(servers.id, id)))
        .returning({ id: servers.id }),
    ];
    if (entries) {
      statements.push(this.db.delete(catalogEntries).where(eq(catalogEntries.serverId, id)));
      statements.push(...this.catalogInserts(id, entries));
    }
    try {
      const [updated] = (await this.db.batch(statements as [Statement, ...Statement[]])) as [
        { id: string }[],
      ];
      return updated.length > 0;
    } catch (error) {
      if (isForeignKeyViolation(error)) return false;
      throw error;
    }
  }

  async updateHealth(tenant: string, id: string, health: HealthSummary): Promise<boolean> {
    const { status, ...detail } = health;
    const updated = await this.db
      .update(servers)
      .set({ healthStatus: status, healthDetail: detail })
      .where(and(eq(servers.tenant, tenant), eq(servers.id, id)))
      .returning({ id: servers.id });
    return updated.length > 0;
  }

  async deleteServer(tenant: string, id: string): Promise<boolean> {
    const owned = and(eq(servers.tenant, tenant), eq(servers.id, id));
    const ownedIds = this.db.select({ id: servers.id }).from(servers).where(owned);
    const [, , deleted] = await this.db.batch([
      this.db.delete(catalogEntries).where(inArray(catalogEntries.serverId, ownedIds)),
      this.db.delete(serverVersions).where(inArray(serverVersions.serverId, ownedIds)),
      this.db.delete(servers).where(owned).returning({ id: servers.id }),
    ]);
    return deleted.length > 0;
  }

  async listCatalog(tenant: string, id: string, kind?: CatalogKind): Promise<CatalogEntry[]> {
    const conditions: SQL[] = [eq(catalogEntries.serverId, id), eq(servers.tenant, tenant)];
    if (kind) conditions.push(eq(catalogEntries.kind, kind));
    const rows = await this.db
      .select({
        kind: catalogEntries.kind,
        key: catalogEntries.key,
        definition: catalogEntries.definition,
        fingerprint: catalogEntries.fingerprint,
      })
      .from(catalogEntries)
      .innerJoin(servers, eq(servers.id, catalogEntries.serverId))
      .where(and(...conditions))
      .orderBy(asc(catalogEntries.kind), asc(catalogEntries.position));
    return rows;
  }

  async toolSummaries(tenant: string, serverIds: string[]): Promise<Map<string, ToolSummary[]>> {
    const summaries = new Map<string, ToolSummary[]>(serverIds.map((id) => [id, []]));
    for (let start = 0; start < serverIds.length; start += IDS_PER_QUERY) {
      const ids = serverIds.slice(start, start + IDS_PER_QUERY);
      const rows = await this.db
        .select({
          serverId: catalogEntries.serverId,
          name: catalogEntries.key,
          title: catalogEntries.title,
          description: catalogEntries.description,
        })
        .from(catalogEntries)
        .innerJoin(servers, eq(servers.id, catalogEntries.serverId))
        .where(
          and(
            eq(servers.tenant, tenant),
            eq(catalogEntries.kind, "tool"),
            inArray(catalogEntries.serverId, ids),
          ),
        )
        .orderBy(asc(catalogEntries.serverId), asc(catalogEntries.position));
      for (const { serverId, ...summary } of rows) summaries.get(serverId)?.push(summary);
    }
    return summaries;
  }

  async listVersions(tenant: string, query: RegistryEntryQuery): Promise<Page<ServerVersion>> {
    const current = sql`coalesce(${servers.version}, ${publishedVersion({ version: null })})`;
    const conditions: SQL[] = [eq(serverVersions.tenant, tenant)];
    const live = and(eq(servers.enabled, true), sql`${servers.lifecycle} <> 'deleted'`) as SQL;
    conditions.push(query.includeDeleted ? (or(live, eq(servers.lifecycle, "deleted")) as SQL) : live);
    if (query.paths !== undefined) {
      conditions.push(sql`${servers.path} in (select value from json_each(${JSON.stringify(query.paths)}))`);
    }
    if (query.visibilities !== undefined) {
      conditions.push(
        sql`${servers.visibility} in (select value from json_each(${JSON.stringify(query.visibilities)}))`,
      );
    }
    if (query.search !== undefined) {
      conditions.push(sql`instr(lower(${effectiveName(query.namespace)}), lower(${query.search})) > 0`);
    }
    if (query.updatedSince !== undefined) {
      // The latest version also counts as updated when its record changed (status, enablement).
      conditions.push(
        sql`(${serverVersions.updatedAt} >= ${query.updatedSince} or (${serverVersions.version} = ${current} and ${servers.updatedAt} >= ${query.updatedSince}))`,
      );
    }
    if (query.version === "latest") conditions.push(sql`${serverVersions.version} = ${current}`);
    else if (query.version !== undefined) conditions.push(eq(serverVersions.version, query.version));
    if (query.cursor !== undefined) {
      const after = decodeVersionCursor(query.cursor);
      conditions.push(
        sql`(${servers.path}, ${serverVersions.publishedAt}, ${serverVersions.version}) > (${after.path}, ${after.publishedAt}, ${after.version})`,
      );
    }
    const rows = await this.db
      .select({ server: servers, version: serverVersions })
      .from(serverVersions)
      .innerJoin(servers, eq(servers.id, serverVersions.serverId))
      .where(and(...conditions))
      .orderBy(asc(servers.path), asc(serverVersions.publishedAt), asc(serverVersions.version))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => versionFromRows(row.server, row.version)),
      nextCursor:
        rows.length > query.limit && last
          ? encodeJsonCursor({
              path: last.server.path,
              publishedAt: last.version.publishedAt,
              version: last.version.version,
            })
          : null,
    };
  }

  async getServerByRegistryName(
    tenant: string,
    name: string,
    namespace: string,
  ): Promise<ServerRecord | null> {
    const prefix = `${namespace}/`;
    const byName: SQL[] = [eq(servers.registryName, name)];
    if (name.startsWith(prefix)) {
      byName.push(and(isNull(servers.registryName), eq(servers.path, name.slice(prefix.length))) as SQL);
    }
    const rows = await this.db
      .select()
      .from(servers)
      .where(and(eq(servers.tenant, tenant), or(...byName)))
      .limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async versionsOf(tenant: string, serverId: string): Promise<ServerVersion[]> {
    const rows = await this.db
      .select({ server: servers, version: serverVersions })
      .from(serverVersions)
      .innerJoin(servers, eq(servers.id, serverVersions.serverId))
      .where(and(eq(serverVersions.tenant, tenant), eq(serverVersions.serverId, serverId)))
      .orderBy(desc(serverVersions.publishedAt), desc(serverVersions.version));
    return rows.map((row) => versionFromRows(row.server, row.version));
  }

  async serversFromSource(tenant: string, sourceId: string): Promise<ServerRecord[]> {
    const rows = await this.db
      .select()
      .from(servers)
      .where(and(eq(servers.tenant, tenant), eq(servers.federationSourceId, sourceId)))
      .orderBy(asc(servers.path));
    return rows.map(fromRow);
  }

  async markSynced(tenant: string, ids: string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .update(servers)
      .set({ provenance: sql`json_set(${servers.provenance}, '$.lastSyncedAt', ${at})` })
      .where(
        and(
          eq(servers.tenant, tenant),
          isNotNull(servers.provenance),
          sql`${servers.id} in (select value from json_each(${JSON.stringify(ids)}))`,
        ),
      );
  }

  /**
   * The row of the server's current version: inserted the first time the
   * version is seen (published then), rewritten only when its content changes.
   * Rows of earlier versions are never touched, so they stay listed.
   */
  private versionUpsert(server: ServerRecord): Statement {
    return this.db
      .insert(serverVersions)
      .values({
        serverId: server.id,
        tenant: server.tenant,
        version: publishedVersion(server),
        detail: versionSnapshot(server),
        publishedAt: server.updatedAt,
        updatedAt: server.updatedAt,
      })
      .onConflictDoUpdate({
        target: [serverVersions.serverId, serverVersions.version],
        set: { detail: sql`excluded.detail`, updatedAt: sql`excluded.updated_at` },
        setWhere: sql`${serverVersions.detail} is not excluded.detail`,
      });
  }

  private async owns(tenant: string, id: string): Promise<boolean> {
    const rows = await this.db
      .select({ id: servers.id })
      .from(servers)
      .where(and(eq(servers.tenant, tenant), eq(servers.id, id)))
      .limit(1);
    return rows.length > 0;
  }

  private catalogInserts(serverId: string, catalog: CatalogEntry[]): Statement[] {
    const rows = catalog.map((entry, position) => ({
      serverId,
      kind: entry.kind,
      key: entry.key,
      position,
      title: stringField(entry.definition, "title"),
      description: stringField(entry.definition, "description"),
      definition: entry.definition,
      fingerprint: entry.fingerprint,
    }));
    const statements: Statement[] = [];
    for (let start = 0; start < rows.length; start += CATALOG_ROWS_PER_INSERT) {
      statements.push(
        this.db.insert(catalogEntries).values(rows.slice(start, start + CATALOG_ROWS_PER_INSERT)),
      );
    }
    return statements;
  }

  private async runBatch(statements: Statement[], server: ServerRecord): Promise<unknown[]> {
    try {
      return await this.db.batch(statements as [Statement, ...Statement[]]);
    } catch (error) {
      if (isUniquePathViolation(error)) throw new DuplicatePathError(server.path);
      if (/UNIQUE constraint failed: servers\.tenant, servers\.registry_name/.test(errorText(error))) {
        throw new DuplicateRegistryNameError(server.registryName ?? "");
      }
      throw error;
    }
  }
}

function toRow(server: ServerRecord): ServerRow {
  const { status, checkedAt, ...detail } = server.catalog;
  return {
    id: server.id,
    tenant: server.tenant,
    name: server.name,
    path: server.path,
    description: server.description,
    tags: server.tags,
    endpoints: server.endpoints,
    timeoutMs: server.timeoutMs,
    egress: server.egress,
    license: server.license,
    version: server.version,
    metadata: server.metadata,
    enabled: server.enabled,
    visibility: server.visibility,
    visibilityGroups: server.groups ?? [],
    owner: server.owner,
    source: server.source,
    lifecycle: server.lifecycle,
    catalogStatus: status,
    catalogCheckedAt: checkedAt,
    catalogDetail: detail,
    loadBalancing: server.loadBalancing,
    circuitBreaker: server.circuitBreaker,
    healthCheck: server.healthCheck,
    rateLimit: server.rateLimit,
    healthStatus: server.health.status,
    healthDetail: healthDetailOf(server.health),
    createdAt: server.createdAt,
    updatedAt: server.updatedAt,
    registryName: server.registryName,
    registryDetails: server.registryDetails,
    provenance: server.provenance,
    federationSourceId: server.provenance?.sourceId ?? null,
    auditArguments: server.auditArguments ?? "none",
  };
}

function fromRow(row: ServerRow): ServerRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    path: row.path,
    description: row.description,
    tags: row.tags,
    endpoints: row.endpoints,
    timeoutMs: row.timeoutMs,
    egress: row.egress ?? null,
    license: row.license,
    version: row.version,
    metadata: row.metadata,
    enabled: row.enabled,
    visibility: row.visibility,
    groups: row.visibilityGroups,
    owner: row.owner,
    source: row.source,
    lifecycle: row.lifecycle,
    catalog: { status: row.catalogStatus, checkedAt: row.catalogCheckedAt, ...row.catalogDetail },
    loadBalancing: row.loadBalancing,
    circuitBreaker: row.circuitBreaker ?? null,
    healthCheck: row.healthCheck ?? null,
    rateLimit: row.rateLimit ?? null,
    health: { status: row.healthStatus, ...row.healthDetail },
    auditArguments: row.auditArguments,
    registryName: row.registryName,
    registryDetails: row.registryDetails ?? null,
    provenance: row.provenance ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function versionFromRows(serverRow: ServerRow, row: VersionRow): ServerVersion {
  const server = fromRow(serverRow);
  return {
    server,
    version: row.version,
    snapshot: row.detail,
    publishedAt: row.publishedAt,
    updatedAt: row.updatedAt,
    isLatest: row.version === publishedVersion(server),
  };
}

/** `coalesce(registry_name, namespace || '/' || path)`: the name the Registry API shows. */
function effectiveName(namespace: string): SQL {
  return sql`coalesce(${servers.registryName}, ${`${namespace}/`} || ${servers.path})`;
}

function healthDetailOf(health: HealthSummary): Omit<HealthSummary, "status"> {
  const { status, ...detail } = health;
  return detail;
}

function stringField(object: Record<string, unknown>, field: string): string | null {
  const value = object[field];
  return typeof value === "string" ? value : null;
}

function decodeVersionCursor(cursor: string): { path: string; publishedAt: string; version: string } {
  const { path, publishedAt, version } = decodeJsonCursor(cursor);
  if (typeof path === "string" && typeof publishedAt === "string" && typeof version === "string") {
    return { path, publishedAt, version };
  }
  throw new InvalidCursorError("the cursor is not valid");
}

/** Cursors are base64url JSON: opaque to clients, checked on the way back in. */
function encodeJsonCursor(value: Record<string, string>): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function decodeJsonCursor(cursor: string): Record<string, unknown> {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
    const value: unknown = JSON.parse(json);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through: any decoding failure means the cursor is not one of ours
  }
  throw new InvalidCursorError("the cursor is not valid");
}

function isUniquePathViolation(error: unknown): boolean {
  return /UNIQUE constraint failed: servers\.path/.test(errorText(error));
}

function isForeignKeyViolation(error: unknown): boolean {
  return /FOREIGN KEY constraint failed/.test(errorText(error));
}
