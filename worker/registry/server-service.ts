// Registry rules for MCP servers: registration with catalog discovery, reads
// scoped to the caller's tenant, partial updates, enablement, deletion and
// refresh. Talks to storage only through RegistryStore; knows nothing of HTTP.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import type { RegistryAction } from "../policy/access-policy.ts";
import { type CatalogChange, diffCatalog } from "../resilience/catalog-diff.ts";
import type { ServerStateView } from "../resilience/state-types.ts";
import type { Finding } from "../store/finding-model.ts";
import { NO_RATINGS, type RatingSummary } from "../store/rating-store.ts";
import {
  type CatalogEntry,
  type CatalogKind,
  type CatalogState,
  DuplicatePathError,
  DuplicateRegistryNameError,
  type HealthSummary,
  type Page,
  type Provenance,
  type RegistryDetails,
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
import { applyEgress, MissingSecretError, type SecretSource, withCallerToken } from "../upstream/egress.ts";
import type { AccessGuard } from "./access-service.ts";
import { catalogFromDiscovery, type ReadCatalog, unreachableState } from "./catalog.ts";
import { definedFields, listingPage, notifyObservers } from "./listing.ts";
import type { RatingSummaries } from "./rating-service.ts";
import { registryNameOf } from "./registry-names.ts";
import type { ServerCreate, ServerListFilters, ServerUpdate } from "./server-input.ts";
import { checkUpstreamUrls, type UpstreamAddressCheck } from "./upstream-url-policy.ts";
import { canSee } from "./visibility.ts";

/** A finding the registration answer shows. */
export type SecurityWarning = Finding & { kind: string; key: string };

/** What a security scan of a catalog says (implemented by security/catalog-scanner.ts). */
export interface CatalogScan {
  policy: { action: "warn" | "hold" | "block"; threshold: string };
  /** Findings at or above the policy's threshold. */
  warnings: SecurityWarning[];
  /** `kind:key` of entries with such a finding. */
  flagged: string[];
}

/** The security scanner as the registry uses it. */
export interface CatalogScanPort {
  inspect(tenant: string, serverId: string, entries: CatalogEntry[]): Promise<CatalogScan>;
  record(scan: CatalogScan): Promise<void>;
}

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
  /** Scans every catalog read for poisoned metadata (worker/security/); absent: no scanning. */
  scanner?: CatalogScanPort;
  /** Tool pinning: approvals follow every stored catalog (worker/security/approval-service.ts). */
  approvals?: {
    reconcile(server: ServerRecord, entries: CatalogEntry[], scan: CatalogScan | null): Promise<void>;
    /** Drops this isolate's cached approvals of a server (changed elsewhere, e.g. in its ServerState object). */
    forget(serverId: string): void;
  };
  secrets: SecretSource;
  /** The egress guard's address check (EgressGuard.check): registration refuses what connections would. */
  checkUpstreamUrl: UpstreamAddressCheck;
  discoveryTimeoutMs: number;
  defaultTimeoutMs: number;
  /** Whether an agent holds the path: servers and agents share one URL namespace. */
  agentHoldsPath?: (path: string) => Promise<boolean>;
  /** Whether a virtual server is named `path` (`/v/{name}/mcp` and `/{path}/mcp` would be confused). */
  virtualServerHoldsPath?: (path: string) => Promise<boolean>;
  /** Rating summaries for every representation (absent: no ratings). */
  ratings?: RatingSummaries;
  /** Namespace of Registry API names (`{namespace}/{path}` unless a server has a registryName). */
  registryNamespace: string;
  now?: () => Date;
  newId?: () => string;
}

export type ServerView = ServerRecord & {
  groups: string[];
  tools: ToolSummary[];
  rating: RatingSummary;
  warnings?: SecurityWarning[];
};

type CatalogOutcome = ReadCatalog | { entries: null; reason: string };

/** What a server.json import adds to a registration (fields the create input has no place for). */
export interface RegistrationExtras {
  registryDetails?: RegistryDetails | null;
}

/**
 * Fields a federated server keeps from its source; the rest may be changed
 * here (enablement, tags, visibility, and how the gateway reaches it: egress
 * credential and rate limit).
 */
export const LOCALLY_EDITABLE_IMPORTED_FIELDS = [
  "enabled",
  "tags",
  "visibility",
  "egress",
  "rateLimit",
  "auditArguments",
] as const;

export class ServerService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: ServerServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  async register(
    principal: Principal,
    input: ServerCreate,
    extras: RegistrationExtras = {},
  ): Promise<ServerView> {
    await this.options.access.require(principal, {
      kind: "registry",
      action: "register_service",
      resource: input.path,
    });
    await this.checkUrls(input.endpoints.map((endpoint) => endpoint.url));
    // Refuse a taken path before contacting the upstream; the store's unique
    // index still decides races.
    if (await this.pathTaken(input.path)) throw duplicatePath(input.path);
    await this.checkRegistryName(principal.tenant, { path: input.path, registryName: input.registryName });

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
      groups: input.groups,
      owner: principal.subject,
      source: "local",
      lifecycle: input.lifecycle,
      catalog: unreachableState(null, "not read yet", timestamp),
      loadBalancing: input.loadBalancing,
      circuitBreaker: input.circuitBreaker,
      healthCheck: input.healthCheck,
      rateLimit: input.rateLimit,
      auditArguments: input.auditArguments,
      health: UNKNOWN_HEALTH,
      registryName: input.registryName,
      registryDetails: extras.registryDetails ?? null,
      provenance: null,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    return this.create(draft);
  }

  // --- For federation (worker/federation/): the caller has checked its own permission ---

  /** Stores a server imported from a federation source (catalog read first, like a registration). */
  async createImported(draft: ServerRecord): Promise<ServerView> {
    await this.checkUrls(draft.endpoints.map((endpoint) => endpoint.url));
    return this.create(draft);
  }

  /**
   * Replaces an imported server with what its source now says; the catalog is
   * read again when `rereadCatalog` (the entry changed upstream).
   */
  async replaceImported(next: ServerRecord, rereadCatalog: boolean): Promise<ServerView> {
    let saved = next;
    let outcome: CatalogOutcome | null = null;
    if (rereadCatalog) {
      await this.checkUrls(next.endpoints.map((endpoint) => endpoint.url));
      outcome = await this.readCatalog(next);
      saved = withCatalogOutcome(next, outcome, next.updatedAt);
    }
    await this.save(saved, outcome?.entries ?? undefined);
    return this.view(saved);
  }

  private async create(draft: ServerRecord): Promise<ServerView> {
    const outcome = await this.readCatalog(draft);
    const scan = await this.inspect(draft, outcome);
    if (scan?.policy.action === "block" && scan.flagged.length > 0) throw blockedByScan(scan);
    const server = withScanWarnings(withCatalogOutcome(draft, outcome, draft.createdAt), scan);
    try {
      await this.options.store.insertServer(server, outcome.entries ?? []);
    } catch (error) {
      throw storeConflict(error);
    }
    await this.catalogStored(server, outcome.entries, scan);
    await this.notify((observer) => observer.serverSaved(server, outcome.entries ?? []));
    return { ...(await this.view(server)), warnings: scan?.warnings ?? [] };
  }

  /** 409 when another server already answers to this Registry API name. */
  private async checkRegistryName(
    tenant: string,
    server: { id?: string; path: string; registryName: string | null },
  ): Promise<void> {
    const namespace = this.options.registryNamespace;
    const name = registryNameOf(server, namespace);
    const holder = await this.options.store.getServerByRegistryName(tenant, name, namespace);
    if (holder && holder.id !== server.id) throw duplicateRegistryName(name);
  }

  async get(principal: Principal, id: string): Promise<ServerView> {
    return this.view(await this.require(principal, id, "list_service"));
  }

  /** The server when the caller may see and read it (404/403 otherwise), e.g. before rating it. */
  async visibleReadable(principal: Principal, id: string): Promise<ServerRecord> {
    return this.require(principal, id, "list_service");
  }

  /**
   * Only servers the caller may `list_service`. A finite grant goes into the
   * store query as a path filter, so pages are cut after filtering and a page
   * is never short while more visible servers follow.
   */
  async list(principal: Principal, filters: ServerListFilters): Promise<Page<ServerView>> {
    const grant = await this.options.access.resources(principal, "list_service");
    const viewer = await this.options.access.viewer(principal);
    const query = { ...filters, viewer, ...(grant.all ? {} : { paths: grant.names }) };
    const page = await listingPage(() => this.options.store.listServers(principal.tenant, query));
    return { items: await this.views(principal.tenant, page.items), nextCursor: page.nextCursor };
  }

  /**
   * Ids of the tenant's servers the caller may not see (private and group
   * servers are few, so this is cheaper than listing the visible ones); for
   * search results, which are not read through the store's listing.
   */
  async hiddenServerIds(principal: Principal): Promise<Set<string>> {
    const viewer = await this.options.access.viewer(principal);
    const hidden = new Set<string>();
    if (viewer.seesEverything) return hidden;
    let cursor: string | undefined;
    do {
      const page = await this.options.store.listServers(principal.tenant, {
        visibilities: ["private", "group"],
        limit: 100,
        ...(cursor && { cursor }),
      });
      for (const server of page.items) if (!canSee(viewer, server)) hidden.add(server.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return hidden;
  }

  /** Renaming needs `modify_service` on the new path too, so nobody moves a server into another's name. */
  async update(principal: Principal, id: string, patch: ServerUpdate): Promise<ServerView> {
    const current = await this.require(principal, id, "modify_service");
    if (current.provenance) refuseSourceOwnedFields(current.provenance, patch);
    if (patch.path !== undefined && patch.path !== current.path) {
      await this.options.access.require(principal, {
        kind: "registry",
        action: "modify_service",
        resource: patch.path,
      });
    }
    if (patch.endpoints) await this.checkUrls(patch.endpoints.map((endpoint) => endpoint.url));
    if (patch.path && patch.path !== current.path && (await this.pathTaken(patch.path))) {
      throw duplicatePath(patch.path);
    }
    if (patch.path !== undefined || patch.registryName !== undefined) {
      await this.checkRegistryName(current.tenant, {
        id: current.id,
        path: patch.path ?? current.path,
        registryName: patch.registryName === undefined ? current.registryName : patch.registryName,
      });
    }
    const timestamp = this.now().toISOString();
    let next: ServerRecord = { ...current, ...definedFields(patch), updatedAt: timestamp };
    // A different upstream may serve a different catalog: read it again.
    const upstreamChanged = patch.endpoints !== undefined || patch.egress !== undefined;
    let outcome: CatalogOutcome | null = null;
    let scan: CatalogScan | null = null;
    if (upstreamChanged) {
      outcome = await this.readCatalog(next);
      scan = await this.inspect(next, outcome);
      next = withScanWarnings(withCatalogOutcome(next, outcome, timestamp), scan);
    }
    await this.save(next, outcome?.entries ?? undefined);
    if (outcome) await this.catalogStored(next, outcome.entries, scan);
    return { ...(await this.view(next)), ...(scan ? { warnings: scan.warnings } : {}) };
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
      this.options.approvals?.forget(current.id);
      const refreshed = await this.options.store.getServer(current.tenant, current.id);
      if (!refreshed) throw serverNotFound(id);
      return this.view(refreshed);
    }
    const timestamp = this.now().toISOString();
    const outcome = await this.readCatalog(current);
    const scan = await this.inspect(current, outcome);
    const next = withScanWarnings(withCatalogOutcome(current, outcome, timestamp), scan);
    await this.save(next, outcome.entries ?? undefined);
    await this.catalogStored(next, outcome.entries, scan);
    return { ...(await this.view(next)), warnings: scan?.warnings ?? [] };
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
   * when the server is gone. `callerToken`: a per-user (`oauth`) server is
   * read with the token of a user who just connected (worker/oauth/
   * connection-service.ts); the catalog is shared, the token never is.
   */
  async refreshCatalogFor(tenant: string, id: string, callerToken?: string): Promise<CatalogRefresh | null> {
    const current = await this.options.store.getServer(tenant, id);
    if (!current) return null;
    // Per-user egress: only a connected user's token can read it (see callerToken); keep what was read then.
    if (current.egress?.type === "oauth" && callerToken === undefined && current.catalog.status === "ok") {
      return { state: current.catalog, changes: [] };
    }
    const before = await this.options.store.listCatalog(tenant, id);
    const timestamp = this.now().toISOString();
    const outcome = await this.readCatalog(current, callerToken);
    const scan = await this.inspect(current, outcome);
    const { catalog: state } = withScanWarnings(withCatalogOutcome(current, outcome, timestamp), scan);
    const entries = outcome.entries ?? undefined;
    if (!(await this.options.store.updateCatalog(tenant, id, state, entries))) return null;
    await this.catalogStored(current, outcome.entries, scan);
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
    let updated: boolean;
    try {
      updated = await this.options.store.updateServer(server, catalog);
    } catch (error) {
      throw storeConflict(error);
    }
    if (!updated) throw serverNotFound(server.id);
    await this.notify((observer) => observer.serverSaved(server, catalog));
  }

  /**
   * Derived data must never make a committed registry change look failed:
   * observer errors are logged, and observers are expected to be idempotent
   * so a later save or a reindex repairs what was missed.
   */
  private async notify(call: (observer: RegistryObserver) => Promise<void>): Promise<void> {
    await notifyObservers(this.options.observers ?? [], call, "registry_observer_failed");
  }

  /** The server if it exists in the caller's tenant and is visible to them (404 otherwise: existence does not leak). */
  async visible(principal: Principal, id: string): Promise<ServerRecord> {
    const server = await this.options.store.getServer(principal.tenant, id);
    if (!server || !canSee(await this.options.access.viewer(principal), server)) throw serverNotFound(id);
    return server;
  }

  /** The record, if it exists and is visible (404 otherwise) and `action` is allowed on its path (403 otherwise). */
  private async require(principal: Principal, id: string, action: RegistryAction): Promise<ServerRecord> {
    const server = await this.visible(principal, id);
    await this.options.access.require(principal, { kind: "registry", action, resource: server.path });
    return server;
  }

  private async view(server: ServerRecord): Promise<ServerView> {
    const [view] = await this.views(server.tenant, [server]);
    return view ?? { ...server, groups: server.groups ?? [], tools: [], rating: NO_RATINGS };
  }

  private async views(tenant: string, servers: ServerRecord[]): Promise<ServerView[]> {
    const ids = servers.map((server) => server.id);
    const [tools, ratings] = await Promise.all([
      this.options.store.toolSummaries(tenant, ids),
      this.options.ratings?.summaries(tenant, "server", ids) ?? new Map<string, RatingSummary>(),
    ]);
    return servers.map((server) => ({
      ...server,
      groups: server.groups ?? [],
      tools: tools.get(server.id) ?? [],
      rating: ratings.get(server.id) ?? NO_RATINGS,
    }));
  }

  private async pathTaken(path: string): Promise<boolean> {
    if (await this.options.store.getServerByPath(path)) return true;
    if (await this.options.agentHoldsPath?.(path)) return true;
    return (await this.options.virtualServerHoldsPath?.(path)) ?? false;
  }

  /** After a catalog read was stored: its findings replace the old ones, approvals follow (pinning). */
  private async catalogStored(
    server: ServerRecord,
    entries: CatalogEntry[] | null,
    scan: CatalogScan | null,
  ): Promise<void> {
    if (entries === null) return;
    if (scan) await this.options.scanner?.record(scan);
    await this.options.approvals?.reconcile(server, entries, scan);
  }

  /** Scans a catalog that was read (null when nothing was read or no scanner is configured). */
  private async inspect(server: ServerRecord, outcome: CatalogOutcome): Promise<CatalogScan | null> {
    if (!this.options.scanner || outcome.entries === null) return null;
    return this.options.scanner.inspect(server.tenant, server.id, outcome.entries);
  }

  private async checkUrls(urls: string[]): Promise<void> {
    const errors = await checkUpstreamUrls(urls, this.options.checkUpstreamUrl);
    if (errors.length > 0) throw new GatewayError("validation", { errors });
  }

  /** Tries each replica in turn; the first that answers provides the catalog. */
  private async readCatalog(server: ServerRecord, callerToken?: string): Promise<CatalogOutcome> {
    if (server.egress?.type === "oauth" && callerToken === undefined) {
      return { entries: null, reason: PER_USER_CATALOG };
    }
    const secrets =
      callerToken === undefined ? this.options.secrets : withCallerToken(this.options.secrets, callerToken);
    const reasons: string[] = [];
    for (const endpoint of server.endpoints) {
      try {
        const { url, headers } = applyEgress(endpoint.url, server.egress, secrets);
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

const PER_USER_CATALOG =
  "per-user credentials (oauth egress): the catalog is read when a user connects their account";

function withCatalogOutcome(server: ServerRecord, outcome: CatalogOutcome, timestamp: string): ServerRecord {
  const catalog =
    outcome.entries === null ? unreachableState(server.catalog, outcome.reason, timestamp) : outcome.state;
  return { ...server, catalog };
}

/** The catalog's warnings name each entry the scanner flagged. */
function withScanWarnings(server: ServerRecord, scan: CatalogScan | null): ServerRecord {
  if (!scan || scan.warnings.length === 0) return server;
  return {
    ...server,
    catalog: { ...server.catalog, warnings: [...server.catalog.warnings, ...warningLines(scan)] },
  };
}

/** One line per flagged entry for the catalog's warnings. */
function warningLines(scan: CatalogScan): string[] {
  const byEntry = new Map<string, SecurityWarning[]>();
  for (const warning of scan.warnings) {
    const ref = `${warning.kind}:${warning.key}`;
    byEntry.set(ref, [...(byEntry.get(ref) ?? []), warning]);
  }
  return [...byEntry.values()].map((warnings) => {
    const first = warnings[0] as SecurityWarning;
    const rules = [...new Set(warnings.map((warning) => `${warning.ruleId} (${warning.severity})`))].join(
      ", ",
    );
    return `security: ${first.kind} "${first.key}": ${rules}`;
  });
}

/** SECURITY_SCAN_ACTION=block: nothing is stored; the problem names each flagged entry. */
function blockedByScan(scan: CatalogScan): GatewayError {
  return new GatewayError("validation", {
    detail: `The security scan flagged ${scan.flagged.length} catalog entr${scan.flagged.length === 1 ? "y" : "ies"} at or above "${scan.policy.threshold}"; registration is blocked by policy`,
    errors: scan.warnings.slice(0, 50).map((warning) => ({
      field: `catalog.${warning.kind}.${warning.key}.${warning.field}`,
      message: `${warning.ruleId} (${warning.severity}): ${warning.message}`,
    })),
  });
}

function serverNotFound(id: string): GatewayError {
  return new GatewayError("not-found", { detail: `No server with id "${id}"` });
}

/** A unique index of the store refused the write: the 409 that names the field. */
function storeConflict(error: unknown): unknown {
  if (error instanceof DuplicatePathError) return duplicatePath(error.path);
  if (error instanceof DuplicateRegistryNameError) return duplicateRegistryName(error.registryName);
  return error;
}

function duplicateRegistryName(name: string): GatewayError {
  return new GatewayError("conflict", {
    detail: `A server named "${name}" already exists in the registry`,
    errors: [{ field: "registryName", message: "already taken (set another registryName or path)" }],
  });
}

/** Imported servers follow their source: only the locally editable fields may change (422 otherwise). */
function refuseSourceOwnedFields(provenance: Provenance, patch: ServerUpdate): void {
  const editable = new Set<string>(LOCALLY_EDITABLE_IMPORTED_FIELDS);
  const refused = Object.entries(patch)
    .filter(([field, value]) => value !== undefined && !editable.has(field))
    .map(([field]) => ({
      field,
      message: `read-only: this server is synchronised from the federation source "${provenance.sourceName}"`,
    }));
  if (refused.length > 0) {
    throw new GatewayError("validation", {
      detail: `Imported servers can change only ${LOCALLY_EDITABLE_IMPORTED_FIELDS.join(", ")}`,
      errors: refused,
    });
  }
}

function duplicatePath(path: string): GatewayError {
  return new GatewayError("conflict", {
    detail: `A server with path "${path}" already exists`,
    errors: [{ field: "path", message: "already taken" }],
  });
}
