// Drizzle schema of the D1 registry. `npm run db:generate` turns changes here
// into SQL migrations under migrations/. Layout and reasons: docs/storage.md.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { TrustLevel } from "../agent-store.ts";
import type { SyncReport } from "../federation-store.ts";
import type { RatedKind } from "../rating-store.ts";
import type {
  AuditArgumentsMode,
  CatalogKind,
  CatalogState,
  CircuitBreakerOverrides,
  EgressCredential,
  HealthCheckOverrides,
  HealthStatus,
  HealthSummary,
  LifecycleStatus,
  LoadBalancing,
  Provenance,
  RateLimitOverride,
  RegistryDetails,
  ServerSource,
  ServerVersionSnapshot,
  UpstreamEndpoint,
  Visibility,
} from "../registry-store.ts";
import type { ConnectionStatus } from "../user-credential-store.ts";
import type {
  VirtualPromptRef,
  VirtualResourceRef,
  VirtualServerMode,
  VirtualToolRef,
} from "../virtual-server-store.ts";

type CatalogDetail = Omit<CatalogState, "status" | "checkedAt">;
type HealthDetail = Omit<HealthSummary, "status">;

export const servers = sqliteTable(
  "servers",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    path: text("path").notNull(),
    description: text("description").notNull().default(""),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    // Replicas are always read and written with their server and never queried
    // on their own, so they live inside the row (as they would in a document store).
    endpoints: text("endpoints", { mode: "json" }).$type<UpstreamEndpoint[]>().notNull(),
    timeoutMs: integer("timeout_ms").notNull(),
    egress: text("egress", { mode: "json" }).$type<EgressCredential | null>(),
    license: text("license"),
    version: text("version"),
    metadata: text("metadata", { mode: "json" })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    visibility: text("visibility").$type<Visibility>().notNull(),
    /** Groups that may see a `group`-visibility server (migration 0005). */
    visibilityGroups: text("visibility_groups", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    owner: text("owner").notNull(),
    source: text("source").$type<ServerSource>().notNull(),
    lifecycle: text("lifecycle").$type<LifecycleStatus>().notNull(),
    catalogStatus: text("catalog_status").$type<CatalogState["status"]>().notNull(),
    catalogCheckedAt: text("catalog_checked_at"),
    catalogDetail: text("catalog_detail", { mode: "json" }).$type<CatalogDetail>().notNull(),
    // Resilience settings (worker/resilience/): null means "the gateway's defaults".
    loadBalancing: text("load_balancing", { mode: "json" })
      .$type<LoadBalancing>()
      .notNull()
      .default(sql`'{"strategy":"weighted","hashOn":"identity"}'`),
    circuitBreaker: text("circuit_breaker", { mode: "json" }).$type<CircuitBreakerOverrides | null>(),
    healthCheck: text("health_check", { mode: "json" }).$type<HealthCheckOverrides | null>(),
    rateLimit: text("rate_limit", { mode: "json" }).$type<RateLimitOverride | null>(),
    // Health as last recorded by the server's ServerState object. A column so
    // listings can filter on it; the rest of the summary is JSON.
    healthStatus: text("health_status").$type<HealthStatus>().notNull().default("unknown"),
    healthDetail: text("health_detail", { mode: "json" })
      .$type<HealthDetail>()
      .notNull()
      .default(sql`'{"latencyMs":null,"checkedAt":null,"changedAt":null,"error":null,"replicas":[]}'`),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    // MCP Registry API and federation (migration 0006).
    registryName: text("registry_name"),
    registryDetails: text("registry_details", { mode: "json" }).$type<RegistryDetails | null>(),
    provenance: text("provenance", { mode: "json" }).$type<Provenance | null>(),
    /** provenance.sourceId as a column, so a source's servers are one indexed read. */
    federationSourceId: text("federation_source_id"),
    /** What the audit log keeps of tool-call arguments (migration 0012). */
    auditArguments: text("audit_arguments").$type<AuditArgumentsMode>().notNull().default("none"),
  },
  (table) => [
    uniqueIndex("servers_path_unique").on(table.path),
    index("servers_tenant_path").on(table.tenant, table.path),
    uniqueIndex("servers_tenant_registry_name").on(table.tenant, table.registryName),
    index("servers_federation_source").on(table.tenant, table.federationSourceId),
  ],
);

/** One row per published version of a server (the Registry API's version history). */
export const serverVersions = sqliteTable(
  "server_versions",
  {
    serverId: text("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    tenant: text("tenant").notNull(),
    version: text("version").notNull(),
    detail: text("detail", { mode: "json" }).$type<ServerVersionSnapshot>().notNull(),
    publishedAt: text("published_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.serverId, table.version] }),
    index("server_versions_updated").on(table.tenant, table.updatedAt),
  ],
);

/** Registries this gateway imports servers from (worker/federation/). */
export const federationSources = sqliteTable(
  "federation_sources",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    mode: text("mode").$type<"all" | "selected">().notNull(),
    // Names of the selected servers (mode "selected"); always read with the source.
    servers: text("servers", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    syncIntervalMinutes: integer("sync_interval_minutes"),
    auth: text("auth", { mode: "json" }).$type<{ secret: string } | null>(),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
    lastSyncAt: text("last_sync_at"),
    lastSync: text("last_sync", { mode: "json" }).$type<SyncReport | null>(),
  },
  (table) => [
    uniqueIndex("federation_sources_tenant_name").on(table.tenant, table.name),
    index("federation_sources_due").on(table.lastSyncAt),
  ],
);

export const catalogEntries = sqliteTable(
  "catalog_entries",
  {
    serverId: text("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    kind: text("kind").$type<CatalogKind>().notNull(),
    key: text("key").notNull(),
    position: integer("position").notNull(),
    /** Denormalised from `definition` so listings need not parse it. */
    title: text("title"),
    description: text("description"),
    definition: text("definition", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    fingerprint: text("fingerprint").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.serverId, table.kind, table.key] }),
    index("catalog_entries_order").on(table.serverId, table.kind, table.position),
  ],
);

// --- Identity and access -------------------------------------------------

/** One scopes configuration per tenant, replaced whole (see docs/storage.md). */
export const scopeConfigs = sqliteTable("scope_configs", {
  tenant: text("tenant").primaryKey(),
  /** The validated configuration document (what the YAML file holds). */
  document: text("document", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  /** Increases by one on every replacement; lets isolates notice changes cheaply. */
  revision: integer("revision").notNull(),
  updatedAt: text("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/** Access tokens the gateway signed for users (personal access tokens). */
export const vendedTokens = sqliteTable(
  "vended_tokens",
  {
    /** The token's `jti`. */
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    /** Subjects are unique per issuer: the owner is (tenant, owner_issuer, subject). */
    ownerIssuer: text("owner_issuer").notNull().default(""),
    subject: text("subject").notNull(),
    name: text("name").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    groups: text("groups", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    revokedAt: text("revoked_at"),
  },
  (table) => [
    index("vended_tokens_owner_issuer").on(table.tenant, table.ownerIssuer, table.subject, table.createdAt),
    index("vended_tokens_revoked").on(table.revokedAt),
    index("vended_tokens_expires").on(table.expiresAt),
  ],
);

// --- Audit -----------------------------------------------------------------

/** One row per audited event: MCP requests, admin changes, auth decisions. */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    occurredAt: text("occurred_at").notNull(),
    requestId: text("request_id").notNull(),
    /** `mcp`, `admin` or `auth`. */
    category: text("category").notNull(),
    subject: text("subject"),
    issuer: text("issuer"),
    serverId: text("server_id"),
    serverPath: text("server_path"),
    method: text("method"),
    tool: text("tool"),
    /** `allow` or `deny`. */
    decision: text("decision").notNull(),
    reason: text("reason"),
    /** e.g. `ok`, `error`, `denied`, `upstream_error`, `timeout`. */
    outcome: text("outcome").notNull(),
    upstreamStatus: integer("upstream_status"),
    durationMs: integer("duration_ms"),
    /** Arguments (only when the server's policy allows logging them) and other details. */
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (table) => [
    index("audit_events_time").on(table.tenant, table.occurredAt),
    index("audit_events_subject").on(table.tenant, table.subject, table.occurredAt),
    index("audit_events_occurred").on(table.occurredAt),
    // Filters of GET /api/v1/audit (migration 0012).
    index("audit_events_category").on(table.tenant, table.category, table.occurredAt),
    index("audit_events_server_id").on(table.tenant, table.serverId, table.occurredAt),
    index("audit_events_server_path").on(table.tenant, table.serverPath, table.occurredAt),
    index("audit_events_tool").on(table.tenant, table.tool, table.occurredAt),
  ],
);

// --- Observability (migration 0009) ------------------------------------------

/** One Prometheus series: `labels` is the rendered label set (`a="x",b="y"`); counters only grow. */
export const metricSeries = sqliteTable(
  "metric_series",
  {
    name: text("name").notNull(),
    labels: text("labels").notNull(),
    value: real("value").notNull().default(0),
    /** Epoch ms of the last increment (the upkeep drops series idle past retention). */
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.name, table.labels] }),
    index("metric_series_updated").on(table.updatedAt),
  ],
);

/** Latency bucket columns of usage_rollups: lat_0 .. lat_12 (upper bounds in LATENCY_BUCKETS_MS, then +Inf). */
const latencyColumns = Object.fromEntries(
  Array.from({ length: 13 }, (_, index) => [`lat${index}`, integer(`lat_${index}`).notNull().default(0)]),
) as Record<`lat${number}`, ReturnType<typeof integer>>;

/** MCP requests per tenant, minute, server, method, tool and caller: the usage charts' data. */
export const usageRollups = sqliteTable(
  "usage_rollups",
  {
    tenant: text("tenant").notNull(),
    /** Epoch minute (ms / 60000). */
    minute: integer("minute").notNull(),
    server: text("server").notNull(),
    method: text("method").notNull(),
    tool: text("tool").notNull(),
    caller: text("caller").notNull(),
    calls: integer("calls").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    denied: integer("denied").notNull().default(0),
    rateLimited: integer("rate_limited").notNull().default(0),
    durationMsSum: real("duration_ms_sum").notNull().default(0),
    ...latencyColumns,
  },
  (table) => [
    primaryKey({
      columns: [table.tenant, table.minute, table.server, table.method, table.tool, table.caller],
    }),
    index("usage_rollups_minute").on(table.minute),
  ],
);

// --- Agents and ratings (migration 0005) ------------------------------------

/** One row per registered A2A agent; the card is stored exactly as validated. */
export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    /** Shares one URL namespace with servers.path (checked by the services). */
    path: text("path").notNull(),
    /** Copied from the card for listings and filters. */
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    card: text("card", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    visibility: text("visibility").$type<Visibility>().notNull(),
    visibilityGroups: text("visibility_groups", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    trustLevel: text("trust_level").$type<TrustLevel>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    owner: text("owner").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("agents_path_unique").on(table.path),
    index("agents_tenant_path").on(table.tenant, table.path),
  ],
);

/** Star ratings, one per rater and entity; `seq` orders them so the oldest can be dropped. */
export const ratings = sqliteTable(
  "ratings",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    tenant: text("tenant").notNull(),
    entityKind: text("entity_kind").$type<RatedKind>().notNull(),
    entityId: text("entity_id").notNull(),
    rater: text("rater").notNull(),
    rating: integer("rating").notNull(),
    ratedAt: text("rated_at").notNull(),
  },
  (table) => [
    uniqueIndex("ratings_one_per_rater").on(table.tenant, table.entityKind, table.entityId, table.rater),
    index("ratings_entity_order").on(table.tenant, table.entityKind, table.entityId, table.seq),
  ],
);

// --- Security findings (migration 0007) ------------------------------------

/** What the security scanner found in catalog entries; replaced whole per server on every scan. */
export const securityFindings = sqliteTable(
  "security_findings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tenant: text("tenant").notNull(),
    serverId: text("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    key: text("key").notNull(),
    ruleId: text("rule_id").notNull(),
    category: text("category").notNull(),
    severity: text("severity").notNull(),
    /** 0 info .. 4 critical: filters "at least medium" use the index. */
    severityRank: integer("severity_rank").notNull(),
    field: text("field").notNull(),
    excerpt: text("excerpt").notNull(),
    message: text("message").notNull(),
    analyzer: text("analyzer").notNull(),
    entryFingerprint: text("entry_fingerprint").notNull(),
    foundAt: text("found_at").notNull(),
  },
  (table) => [
    index("security_findings_server").on(table.tenant, table.serverId, table.kind, table.key),
    index("security_findings_tenant").on(table.tenant, table.severityRank, table.id),
  ],
);

/** Tool pinning: the approved definition per tool and a pending one awaiting an admin (migration 0007). */
export const toolApprovals = sqliteTable(
  "tool_approvals",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    serverId: text("server_id")
      .notNull()
      .references(() => servers.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** `approved`, `pending` or `rejected`. */
    status: text("status").notNull(),
    /** Why it waits: `new`, `changed` or `flagged` (by the security scan). */
    reason: text("reason").notNull(),
    approvedFingerprint: text("approved_fingerprint"),
    approvedDefinition: text("approved_definition", { mode: "json" }).$type<Record<string, unknown>>(),
    pendingFingerprint: text("pending_fingerprint"),
    pendingDefinition: text("pending_definition", { mode: "json" }).$type<Record<string, unknown>>(),
    updatedAt: text("updated_at").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: text("decided_at"),
  },
  (table) => [
    uniqueIndex("tool_approvals_server_key").on(table.serverId, table.key),
    index("tool_approvals_tenant_status").on(table.tenant, table.status, table.updatedAt),
  ],
);

// --- Virtual servers (migration 0010) ----------------------------------------

/** Curated MCP endpoints at `/v/{name}/mcp`: references to items of registered servers. */
export const virtualServers = sqliteTable(
  "virtual_servers",
  {
    id: text("id").primaryKey(),
    tenant: text("tenant").notNull(),
    /** URL slug, unique across tenants (one URL space). */
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** `tools` or `discovery`. */
    mode: text("mode").$type<VirtualServerMode>().notNull().default("tools"),
    tools: text("tools", { mode: "json" }).$type<VirtualToolRef[]>().notNull().default(sql`'[]'`),
    resources: text("resources", { mode: "json" }).$type<VirtualResourceRef[]>().notNull().default(sql`'[]'`),
    prompts: text("prompts", { mode: "json" }).$type<VirtualPromptRef[]>().notNull().default(sql`'[]'`),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    owner: text("owner").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("virtual_servers_name_unique").on(table.name),
    index("virtual_servers_tenant_name").on(table.tenant, table.name),
  ],
);

/** Per-user upstream credentials (3-legged OAuth): the token set only as AES-GCM ciphertext. */
export const userCredentials = sqliteTable(
  "user_credentials",
  {
    tenant: text("tenant").notNull(),
    serverId: text("server_id").notNull(),
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    userName: text("user_name"),
    status: text("status").$type<ConnectionStatus>().notNull().default("connected"),
    ciphertext: text("ciphertext").notNull(),
    iv: text("iv").notNull(),
    expiresAt: text("expires_at"),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default([]),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.tenant, table.serverId, table.issuer, table.subject] }),
    index("user_credentials_tenant_subject").on(table.tenant, table.subject),
  ],
);
