// Registry rules for MCP servers: registration with catalog discovery, reads
// scoped to the caller's tenant, partial updates, enablement, deletion and
// refresh. Talks to storage only through RegistryStore; knows nothing of HTTP.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import type { RegistryAction } from "../policy/access-policy.ts";
import { type CatalogChange, diffCatalog } from "../resilience/catalog-diff.ts";
import type { ServerStateView } from "../resilience/state-types.ts";
import {
  type CatalogEntry,
  type CatalogKind,
  type CatalogState,
  DuplicatePathError,
  type HealthSummary,
  InvalidCursorError,
  type Page,
  type RegistryStore,
  type ServerRecord,
  type ToolSummary,
  UNKNOWN_HEALTH,
} from "../store/registry-store.ts";
import {
  CatalogUnavailableError,
  type DiscoveredCatalog,
  type UpstreamTarget,
} from "../upstream/catalog-reader.ts";
import { applyEgress, MissingSecretError, type SecretSource } from "../upstream/egress.ts";
import type { AccessGuard } from "./access-service.ts";
import { catalogFromDiscovery, type ReadCatalog, unreachableState } from "./catalog.ts";
import type { ServerCreate, ServerListFilters, ServerUpdate } from "./server-input.ts";
import { checkUpstreamUrls } from "./upstream-url-policy.ts";

export type CatalogReader = (
  target: UpstreamTarget,
  options: { timeoutMs: number },
) => Promise<DiscoveredCatalog>;

/**
 * Told after every committed change to a server or its catalog, so derived
 * data (the search index) can follow. Called after the store write succeeds;
 * a failing observer does not undo the write (see `notify`).
 */
export interface RegistryObserver {
  /** `catalog` is given when the catalog was replaced, absent when only the record changed. */
  serverSaved(server: ServerRecord, catalog?: CatalogEntry[]): Promise<void>;
  serverDeleted(tenant: string, id: string): Promise<void>;
}

/**
 * The live state of a server, kept by its ServerState Durable Object
 * (durable-objects/server-state.ts): health checks, circuits, catalog refresh.
 */
export interface ServerStatePort {
  /** Health check and catalog refresh now; resolves once both are recorded. */
  refreshNow(server: ServerRecord): Promise<void>;
  /** Health with history, circuits and recent catalog changes. */
  describe(server: ServerRecord): Promise<ServerStateView>;
}

/** What a catalog refresh found (for the ServerState object's record of changes). */
export interface CatalogRefresh {
  state: CatalogState;
  changes: CatalogChange[];
}

export interface ServerServiceOptions {
  store: RegistryStore;
  /** Every operation is checked here, where the record (and so its path) is known. */
  access: AccessGuard;
  observers?: RegistryObserver[];
  /** Absent: refresh reads the catalog inline and no live state is kept. */
  state?: ServerStatePort;
  readCatalog: CatalogReader;
  secrets: SecretSource;
  allowPrivateUpstreams: boolean;
  discoveryTimeoutMs: number;
  defaultTimeoutMs: number;
  now?: () => Date;
  newId?: () => string;
}

/** A server as the API shows it: the record plus a short list of its tools. */
export type ServerView = ServerRecord & { tools: ToolSummary[] };

type CatalogOutcome = ReadCatalog | { entries: null; reason: string };

export class ServerService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: ServerServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  async register(principal: Principal, input: ServerCreate): Promise<ServerView> {
    await this.options.access.require(principal, {
      kind: "registry",
      action: "register_service",
      resource: input.path,
    });
    this.checkUrls(input.endpoints.map((endpoint) => endpoint.url));
    // Refuse a taken path before contacting the upstream; the store's unique
    // index still decides races.
    if (await this.options.store.getServerByPath(input.path)) throw duplicatePath(input.path);

    const timestamp = this.now().toISOString();
    const draft: ServerRecord = {
      id: this.newId(),
      tenant: principal.tenant,
      name: input.name,
      path: input.path,
      description: input.description,
      tags: input.tags,
      endpoints: input.endpoints,
      timeoutMs: input.timeoutMs ?? this.options.defaultTimeoutMs,
      egress: input.egress,
      license: input.license,
      version: input.version,
      metadata: input.metadata,
      enabled: input.enabled,
      visibility: input.visibility,
      owner: principal.subject,
      source: "local",
      lifecycle: input.lifecycle,
      catalog: unreachableState(null, "not read yet", timestamp),
      loadBalancing: input.loadBalancing,
      circuitBreaker: input.circuitBreaker,
      healthCheck: input.healthCheck,
      rateLimit: input.rateLimit,
      health: UNKNOWN_HEALTH,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    const outcome = await this.readCatalog(draft);
    const server = withCatalogOutcome(draft, outcome, timestamp);
    try {
      await this.options.store.insertServer(server, outcome.entries ?? []);
    } catch (error) {
      if (error instanceof DuplicatePathError) throw duplicatePath(error.path);
      throw error;
    }
    await this.notify((observer) => observer.serverSaved(server, outcome.entries ?? []));
    return this.view(server);
  }

  async get(principal: Principal, id: string): Promise<ServerView> {
    return this.view(await this.require(principal, id, "list_service"));
  }

  /**
   * Only servers the caller may `list_service`. A finite grant goes into the
   * store query as a path filter, so pages are cut after filtering and a page
   * is never short while more visible servers follow.
   */
  async list(principal: Principal, filters: ServerListFilters): Promise<Page<ServerView>> {
    const grant = await this.options.access.resources(principal, "list_service");
    const query = grant.all ? filters : { ...filters, paths: grant.names };
    let page: Page<ServerRecord>;
    try {
      page = await this.options.store.listServers(principal.tenant, query);
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new GatewayError("validation", {
          status: 400,
          errors: [{ field: "cursor", message: "not a cursor from a previous page" }],
        });
      }
      throw error;
    }
    const tools = await this.options.store.toolSummaries(
      principal.tenant,
      page.items.map((server) => server.id),
    );
    return {
      items: page.items.map((server) => ({ ...server, tools: tools.get(server.id) ?? [] })),
      nextCursor: page.nextCursor,
    };
  }

  /** Renaming needs `modify_service` on the new path too, so nobody moves a server into another's name. */
  async update(principal: Principal, id: string, patch: ServerUpdate): Promise<ServerView> {
    const current = await this.require(principal, id, "modify_service");
    if (patch.path !== undefined && patch.path !== current.path) {
      await this.options.access.require(principal, {
        kind: "registry",
        action: "modify_service",
        resource: patch.path,
      });
    }
    if (patch.endpoints) this.checkUrls(patch.endpoints.map((endpoint) => endpoint.url));
    if (patch.path && patch.path !== current.path && (await this.options.store.getServerByPath(patch.path))) {
      throw duplicatePath(patch.path);
    }
    const timestamp = this.now().toISOString();
    let next: ServerRecord = { ...current, ...definedFields(patch), updatedAt: timestamp };
    // A different upstream may serve a different catalog: read it again.
    const upstreamChanged = patch.endpoints !== undefined || patch.egress !== undefined;
    let outcome: CatalogOutcome | null = null;
    if (upstreamChanged) {
      outcome = await this.readCatalog(next);
      next = withCatalogOutcome(next, outcome, timestamp);
    }
    await this.save(next, outcome?.entries ?? undefined);
    return this.view(next);
  }

  async setEnabled(principal: Principal, id: string, enabled: boolean): Promise<ServerView> {
    const current = await this.require(principal, id, "toggle_service");
    if (current.enabled === enabled) return this.view(current);
    const next = { ...current, enabled, updatedAt: this.now().toISOString() };
    await this.save(next);
    return this.view(next);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.require(principal, id, "delete_service");
    if (!(await this.options.store.deleteServer(principal.tenant, id))) throw serverNotFound(id);
    await this.notify((observer) => observer.serverDeleted(principal.tenant, id));
  }

  async catalog(principal: Principal, id: string, kinds: CatalogKind[]): Promise<CatalogEntry[]> {
    await this.require(principal, id, "list_service");
    const lists = await Promise.all(
      kinds.map((kind) => this.options.store.listCatalog(principal.tenant, id, kind)),
    );
    return lists.flat();
  }

  /**
   * Checks health and reads the catalog now (through the server's ServerState
   * object when there is one). An unreachable server keeps its last known catalog.
   */
  async refresh(principal: Principal, id: string): Promise<ServerView> {
    const current = await this.require(principal, id, "health_check_service");
    if (this.options.state) {
      await this.options.state.refreshNow(current);
      const refreshed = await this.options.store.getServer(current.tenant, current.id);
      if (!refreshed) throw serverNotFound(id);
      return this.view(refreshed);
    }
    const timestamp = this.now().toISOString();
    const outcome = await this.readCatalog(current);
    const next = withCatalogOutcome(current, outcome, timestamp);
    await this.save(next, outcome.entries ?? undefined);
    return this.view(next);
  }

  /** Health with history, circuits and recent catalog changes (`list_service`, like reading the server). */
  async state(principal: Principal, id: string): Promise<ServerStateView> {
    const server = await this.require(principal, id, "list_service");
    if (!this.options.state) {
      return {
        serverId: server.id,
        health: server.health,
        circuits: [],
        history: [],
        catalogChanges: [],
        nextCheckAt: null,
      };
    }
    return this.options.state.describe(server);
  }

  // --- For the server's ServerState object only (no principal: never reachable from a route) ---

  async recordFor(tenant: string, id: string): Promise<ServerRecord | null> {
    return this.options.store.getServer(tenant, id);
  }

  /**
   * Reads the catalog now and records it without touching the rest of the
   * record; tells observers (the search index) when entries changed. Null
   * when the server is gone.
   */
  async refreshCatalogFor(tenant: string, id: string): Promise<CatalogRefresh | null> {
    const current = await this.options.store.getServer(tenant, id);
    if (!current) return null;
    const before = await this.options.store.listCatalog(tenant, id);
    const timestamp = this.now().toISOString();
    const outcome = await this.readCatalog(current);
    const { catalog: state } = withCatalogOutcome(current, outcome, timestamp);
    const entries = outcome.entries ?? undefined;
    if (!(await this.options.store.updateCatalog(tenant, id, state, entries))) return null;
    const changes = entries ? diffCatalog(before, entries) : [];
    if (changes.length > 0 || state.status !== current.catalog.status) {
      const saved = { ...current, catalog: state };
      await this.notify((observer) => observer.serverSaved(saved, changes.length > 0 ? entries : undefined));
    }
    return { state, changes };
  }

  async recordHealth(tenant: string, id: string, health: HealthSummary): Promise<boolean> {
    return this.options.store.updateHealth(tenant, id, health);
  }

  private async save(server: ServerRecord, catalog?: CatalogEntry[]): Promise<void> {
    try {
      if (!(await this.options.store.updateServer(server, catalog))) throw serverNotFound(server.id);
    } catch (error) {
      if (error instanceof DuplicatePathError) throw duplicatePath(error.path);
      throw error;
    }
    await this.notify((observer) => observer.serverSaved(server, catalog));
  }

  /**
   * Derived data must never make a committed registry change look failed:
   * observer errors are logged, and observers are expected to be idempotent
   * so a later save or a reindex repairs what was missed.
   */
  private async notify(call: (observer: RegistryObserver) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled((this.options.observers ?? []).map(call));
    for (const result of results) {
      if (result.status === "rejected") {
        console.error(
          JSON.stringify({ level: "error", event: "registry_observer_failed", error: String(result.reason) }),
        );
      }
    }
  }

  /** The record, if it exists in the caller's tenant and `action` is allowed on its path (403 otherwise). */
  private async require(principal: Principal, id: string, action: RegistryAction): Promise<ServerRecord> {
    const server = await this.options.store.getServer(principal.tenant, id);
    if (!server) throw serverNotFound(id);
    await this.options.access.require(principal, { kind: "registry", action, resource: server.path });
    return server;
  }

  private async view(server: ServerRecord): Promise<ServerView> {
    const tools = await this.options.store.toolSummaries(server.tenant, [server.id]);
    return { ...server, tools: tools.get(server.id) ?? [] };
  }

  private checkUrls(urls: string[]): void {
    const errors = checkUpstreamUrls(urls, this.options.allowPrivateUpstreams);
    if (errors.length > 0) throw new GatewayError("validation", { errors });
  }

  /** Tries each replica in turn; the first that answers provides the catalog. */
  private async readCatalog(server: ServerRecord): Promise<CatalogOutcome> {
    const reasons: string[] = [];
    for (const endpoint of server.endpoints) {
      try {
        const { url, headers } = applyEgress(endpoint.url, server.egress, this.options.secrets);
        const discovered = await this.options.readCatalog(
          { url, transport: endpoint.transport, headers },
          { timeoutMs: Math.min(server.timeoutMs, this.options.discoveryTimeoutMs) },
        );
        return await catalogFromDiscovery(discovered, this.now().toISOString());
      } catch (error) {
        if (error instanceof MissingSecretError) return { entries: null, reason: error.message };
        if (!(error instanceof CatalogUnavailableError)) throw error;
        reasons.push(server.endpoints.length > 1 ? `${endpoint.url}: ${error.reason}` : error.reason);
      }
    }
    return { entries: null, reason: reasons.join("; ") };
  }
}

function withCatalogOutcome(server: ServerRecord, outcome: CatalogOutcome, timestamp: string): ServerRecord {
  const catalog =
    outcome.entries === null ? unreachableState(server.catalog, outcome.reason, timestamp) : outcome.state;
  return { ...server, catalog };
}

/** Drops keys whose value is undefined so a partial update never erases a field. */
function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function serverNotFound(id: string): GatewayError {
  return new GatewayError("not-found", { detail: `No server with id "${id}"` });
}

function duplicatePath(path: string): GatewayError {
  return new GatewayError("conflict", {
    detail: `A server with path "${path}" already exists`,
    errors: [{ field: "path", message: "already taken" }],
  });
}
