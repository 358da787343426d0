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

/**
 * How the gateway authenticates to the upstream. Holds the *names* of secrets
 * (Worker secrets / env vars), never their values.
 */
export type EgressCredential =
  | { type: "bearer"; secret: string }
  | { type: "api_key"; secret: string; in: "header" | "query"; name: string }
  | { type: "basic"; username: string; secret: string }
  | { type: "template"; secret: string; in: "header" | "query"; name: string; template: string };

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
  owner: string;
  source: ServerSource;
  lifecycle: LifecycleStatus;
  catalog: CatalogState;
  createdAt: string;
  updatedAt: string;
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

export interface ServerQuery {
  enabled?: boolean;
  tag?: string;
  /** Case-insensitive substring of name, path or description. */
  text?: string;
  path?: string;
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

export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";
}

export interface RegistryStore {
  /** Inserts a server and its catalog atomically. Throws DuplicatePathError. */
  insertServer(server: ServerRecord, catalog: CatalogEntry[]): Promise<void>;
  getServer(tenant: string, id: string): Promise<ServerRecord | null>;
  /** Paths are unique across tenants: they share one URL space. */
  getServerByPath(path: string): Promise<ServerRecord | null>;
  /** Ordered by path (stable); `cursor` continues after the last item seen. Throws InvalidCursorError. */
  listServers(tenant: string, query: ServerQuery): Promise<Page<ServerRecord>>;
  /**
   * Replaces the stored record (same id and tenant), and its catalog too when
   * `catalog` is given, atomically. Returns false when absent. Throws DuplicatePathError.
   */
  updateServer(server: ServerRecord, catalog?: CatalogEntry[]): Promise<boolean>;
  /** Removes the server and its catalog. Returns false when absent. */
  deleteServer(tenant: string, id: string): Promise<boolean>;
  /** Entries in the order the server listed them. */
  listCatalog(tenant: string, id: string, kind?: CatalogKind): Promise<CatalogEntry[]>;
  /** Tool summaries for several servers at once (for listings). */
  toolSummaries(tenant: string, serverIds: string[]): Promise<Map<string, ToolSummary[]>>;
}
