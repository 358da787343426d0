// The registry's storage port. Services depend on this interface only; the D1
// adapter implements it today and a DocumentDB/MongoDB adapter can implement it
// for self-hosting. `test/contract/registry-store.contract.ts` is the one
// behaviour every adapter must pass.

export type Transport = "streamable-http" | "sse";
export type Visibility = "public" | "private" | "group";
export type LifecycleStatus = "active" | "deprecated" | "deleted";
export type ServerSource = "local" | "federated";
export type CatalogStatus = "pending" | "ok" | "unreachable";
export type CatalogKind = "tool" | "resource" | "resource_template" | "prompt";

export interface UpstreamEndpoint {
  url: string;
  transport: Transport;
  /** Relative share of traffic among replicas. */
  weight: number;
}

// --- Resilience settings and health (worker/resilience/, durable-objects/server-state.ts)

export type LoadBalancingStrategy =
  | "round-robin"
  | "weighted"
  | "least-connections"
  | "random"
  | "consistent-hash";

export interface LoadBalancing {
  strategy: LoadBalancingStrategy;
  /** For consistent-hash: the caller's identity, or its session (identity when there is none). */
  hashOn: "identity" | "session";
}

/** Per-server overrides of the circuit-breaker defaults (CIRCUIT_* settings); absent fields use them. */
export interface CircuitBreakerOverrides {
  failureThreshold?: number;
  cooldownMs?: number;
  halfOpenSuccesses?: number;
}

/** Per-server overrides of the health-check defaults (HEALTH_CHECK_* settings). */
export interface HealthCheckOverrides {
  /** false: no periodic checks (manual refresh still checks). */
  enabled?: boolean;
  intervalSeconds?: number;
  timeoutMs?: number;
  degradedLatencyMs?: number;
}

/** A per-server limit for each identity on this server (overrides RATE_LIMIT_PER_IDENTITY_SERVER). */
export interface RateLimitOverride {
  requests: number;
  windowSeconds: number;
}

/** What the audit log keeps of a server's tool-call arguments: nothing, redacted, or all. */
export type AuditArgumentsMode = "none" | "redacted" | "full";

export type HealthStatus = "healthy" | "degraded" | "unhealthy" | "unknown";

export interface ReplicaHealth {
  url: string;
  /** What the last health check of this replica found. */
  status: "up" | "down" | "unknown";
  latencyMs: number | null;
  error: string | null;
  /** Circuit breaker phase when the summary was written. */
  circuit: "closed" | "open" | "half-open";
}

/** The last recorded health of a server (written by its ServerState object when it changes). */
export interface HealthSummary {
  status: HealthStatus;
  latencyMs: number | null;
  checkedAt: string | null;
  /** When `status` last changed. */
  changedAt: string | null;
  error: string | null;
  replicas: ReplicaHealth[];
}

export const UNKNOWN_HEALTH: HealthSummary = {
  status: "unknown",
  latencyMs: null,
  checkedAt: null,
  changedAt: null,
  error: null,
  replicas: [],
};

export const DEFAULT_LOAD_BALANCING: LoadBalancing = { strategy: "weighted", hashOn: "identity" };

/**
 * How the gateway authenticates to the upstream. Holds the *names* of secrets
 * (Worker secrets / env vars), never their values.
 */
export type EgressCredential =
  | { type: "bearer"; secret: string }
  | { type: "api_key"; secret: string; in: "header" | "query"; name: string }
  | { type: "basic"; username: string; secret: string }
  | { type: "template"; secret: string; in: "header" | "query"; name: string; template: string }
  /** Per-user credentials: each caller connects their own account (3-legged OAuth, worker/oauth/connections). */
  | { type: "oauth"; provider: OAuthEgressProvider };

/** The upstream's OAuth provider for `oauth` egress; `clientSecret` names a secret, never holds it. */
export interface OAuthEgressProvider {
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  /** Absent: a public client (PKCE only). */
  clientSecret?: string;
  scopes: string[];
}

export interface CatalogCounts {
  tools: number;
  resources: number;
  resourceTemplates: number;
  prompts: number;
}

/** What the last catalog read found; kept on the server record. */
export interface CatalogState {
  status: CatalogStatus;
  /** Why the server could not be read (safe to show), when unreachable. */
  error: string | null;
  checkedAt: string | null;
  serverInfo: { name: string; version: string; title?: string } | null;
  protocolVersion: string | null;
  counts: CatalogCounts;
  warnings: string[];
}

export interface ServerRecord {
  id: string;
  tenant: string;
  name: string;
  /** Unique URL slug: the server is reached at `/{path}/mcp`. */
  path: string;
  description: string;
  tags: string[];
  endpoints: UpstreamEndpoint[];
  timeoutMs: number;
  egress: EgressCredential | null;
  license: string | null;
  version: string | null;
  metadata: Record<string, unknown>;
  enabled: boolean;
  visibility: Visibility;
  /** Groups that may see the server when `visibility` is `group` (absent: none). */
  groups?: string[];
  owner: string;
  source: ServerSource;
  lifecycle: LifecycleStatus;
  catalog: CatalogState;
  loadBalancing: LoadBalancing;
  circuitBreaker: CircuitBreakerOverrides | null;
  healthCheck: HealthCheckOverrides | null;
  rateLimit: RateLimitOverride | null;
  /** What the audit log keeps of tool-call arguments (migration 0012; absent: `none`). */
  auditArguments?: AuditArgumentsMode;
  /** Recorded by the server's ServerState object; never written by record updates. */
  health: HealthSummary;
  /**
   * The server's name in the MCP Registry API (reverse-DNS `namespace/name`);
   * null: the gateway's namespace plus the path (worker/registry/registry-names.ts).
   */
  registryName: string | null;
  /** server.json display fields the record has no column for (kept from an import). */
  registryDetails: RegistryDetails | null;
  /** Where an imported server came from; null for servers registered here. */
  provenance: Provenance | null;
  createdAt: string;
  updatedAt: string;
}

/** server.json fields without a column of their own (shapes as in server.schema.json). */
export interface RegistryDetails {
  title?: string;
  websiteUrl?: string;
  repository?: { url: string; source: string; id?: string; subfolder?: string };
  icons?: { src: string; mimeType?: string; sizes?: string[]; theme?: "light" | "dark" }[];
}

/** Where a federated server came from and when it was last synchronised. */
export interface Provenance {
  /** The federation source (federation_sources.id) that imported it. */
  sourceId: string;
  sourceName: string;
  sourceUrl: string;
  /** Name and version of the entry in the source registry. */
  upstreamName: string;
  upstreamVersion: string;
  /**
   * The registry namespace where the server is registered locally (carried
   * along when a registry re-publishes imported servers), so federation in a
   * loop recognises its own servers; the source URL when the source does not say.
   */
  origin: string;
  /** SHA-256 of the source's entry as last imported: a different digest means it changed upstream. */
  upstreamDigest: string;
  /** When a sync last found the entry at its source. */
  lastSyncedAt: string;
}

/** One published version of a server, as the MCP Registry API lists it. */
export interface ServerVersionSnapshot {
  title: string;
  description: string;
  details: RegistryDetails | null;
}

/** What a server's version row holds; the store writes it with every insert/update of the record. */
export function versionSnapshot(server: ServerRecord): ServerVersionSnapshot {
  return { title: server.name, description: server.description, details: server.registryDetails };
}

/** The version a server is published under in the Registry API (server.json requires one). */
export function publishedVersion(server: Pick<ServerRecord, "version">): string {
  return server.version ?? DEFAULT_PUBLISHED_VERSION;
}

export const DEFAULT_PUBLISHED_VERSION = "0.0.0";

export interface ServerVersion {
  server: ServerRecord;
  version: string;
  snapshot: ServerVersionSnapshot;
  publishedAt: string;
  updatedAt: string;
  /** The version the server currently has. */
  isLatest: boolean;
}

export interface RegistryEntryQuery {
  /** Effective names are `coalesce(registryName, namespace + "/" + path)`. */
  namespace: string;
  /** Only servers with one of these paths (the caller's access grant). */
  paths?: string[];
  /** Only servers with one of these visibilities. */
  visibilities?: Visibility[];
  /** Case-insensitive substring of the effective name. */
  search?: string;
  /** Versions updated at or after this ISO timestamp. */
  updatedSince?: string;
  /** "latest" or an exact version. */
  version?: string;
  includeDeleted: boolean;
  limit: number;
  cursor?: string;
}

export interface CatalogEntry {
  kind: CatalogKind;
  /** Tool or prompt name, resource URI, or resource template URI template. */
  key: string;
  /** The object exactly as the server described it. */
  definition: Record<string, unknown>;
  /** SHA-256 over the identity-relevant fields; changes when the entry changes. */
  fingerprint: string;
}

/** A short view of a tool, enough for listings. */
export interface ToolSummary {
  name: string;
  title: string | null;
  description: string | null;
}

/** Who is asking, for listings that must hide what the viewer may not see (see registry/visibility.ts). */
export interface Viewer {
  subject: string;
  groups: string[];
  /** Admins see private and group entries of everyone. */
  seesEverything: boolean;
}

export interface ServerQuery {
  enabled?: boolean;
  tag?: string;
  /** Case-insensitive substring of name, path or description. */
  text?: string;
  path?: string;
  /** Only servers with one of these paths (the caller's access grant); [] matches none. */
  paths?: string[];
  /** Only servers this viewer may see (visibility); absent: no visibility filter. */
  viewer?: Viewer;
  /** Only servers with one of these visibilities. */
  visibilities?: Visibility[];
  limit: number;
  /** Opaque; from a previous page's `nextCursor`. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class DuplicatePathError extends Error {
  override readonly name = "DuplicatePathError";
  constructor(readonly path: string) {
    super(`a server with path "${path}" already exists`);
  }
}

export class DuplicateRegistryNameError extends Error {
  override readonly name = "DuplicateRegistryNameError";
  constructor(readonly registryName: string) {
    super(`a server named "${registryName}" already exists`);
  }
}

export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

export interface RegistryStore {
  /**
   * Inserts a server, its catalog and its version row atomically. Throws
   * DuplicatePathError, DuplicateRegistryNameError.
   */
  insertServer(server: ServerRecord, catalog: CatalogEntry[]): Promise<void>;
  getServer(tenant: string, id: string): Promise<ServerRecord | null>;
  /** Paths are unique across tenants: they share one URL space. */
  getServerByPath(path: string): Promise<ServerRecord | null>;
  /** Ordered by path (stable); `cursor` continues after the last item seen. Throws InvalidCursorError. */
  listServers(tenant: string, query: ServerQuery): Promise<Page<ServerRecord>>;
  /**
   * Replaces the stored record (same id and tenant) except `health`, and its
   * catalog too when `catalog` is given, atomically. Returns false when absent.
   * Throws DuplicatePathError.
   */
  updateServer(server: ServerRecord, catalog?: CatalogEntry[]): Promise<boolean>;
  /**
   * Replaces only the catalog state, and the entries too when given,
   * atomically; no other field of the record changes (so it cannot undo a
   * concurrent edit). Returns false when absent.
   */
  updateCatalog(tenant: string, id: string, state: CatalogState, entries?: CatalogEntry[]): Promise<boolean>;
  /**
   * Records health only (`updateServer` never writes it, so a stale record
   * cannot undo a newer health report). Returns false when absent.
   */
  updateHealth(tenant: string, id: string, health: HealthSummary): Promise<boolean>;
  /** Removes the server and its catalog. Returns false when absent. */
  deleteServer(tenant: string, id: string): Promise<boolean>;
  /** Entries in the order the server listed them. */
  listCatalog(tenant: string, id: string, kind?: CatalogKind): Promise<CatalogEntry[]>;
  /** Tool summaries for several servers at once (for listings). */
  toolSummaries(tenant: string, serverIds: string[]): Promise<Map<string, ToolSummary[]>>;

  // --- MCP Registry API (version history is written by insertServer/updateServer) ---
  /**
   * Published versions of enabled servers (and deleted ones with
   * `includeDeleted`), ordered by path, then publication. Throws InvalidCursorError.
   */
  listVersions(tenant: string, query: RegistryEntryQuery): Promise<Page<ServerVersion>>;
  /** The server with this effective registry name, or null. */
  getServerByRegistryName(tenant: string, name: string, namespace: string): Promise<ServerRecord | null>;
  /** Every published version of one server, newest publication first. */
  versionsOf(tenant: string, serverId: string): Promise<ServerVersion[]>;
  /** Servers imported by one federation source. */
  serversFromSource(tenant: string, sourceId: string): Promise<ServerRecord[]>;
  /** Sets provenance.lastSyncedAt of these imported servers; nothing else changes (no version row). */
  markSynced(tenant: string, ids: string[], at: string): Promise<void>;
}
