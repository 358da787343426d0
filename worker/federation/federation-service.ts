// Federation: sources (registries speaking the MCP Registry API) and their
// synchronisation into this registry. A sync reads every page of the source,
// then for each entry: imports it (catalog read like a registration), updates
// it when it changed upstream (catalog read again), or leaves it; entries it
// cannot take are skipped with a reason. Servers the source no longer lists
// become lifecycle `deleted` and are disabled (kept, so their history and
// settings survive). Entries this gateway published itself (its namespace as
// their origin in `_meta`) are never imported, so federating in a loop
// duplicates nothing.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import { sha256Hex } from "../platform/encoding.ts";
import type { AccessGuard } from "../registry/access-service.ts";
import { canonicalJson } from "../registry/fingerprint.ts";
import { pathSlugFor } from "../registry/registry-names.ts";
import type { ServerService } from "../registry/server-service.ts";
import { checkUpstreamUrls, type UpstreamAddressCheck } from "../registry/upstream-url-policy.ts";
import type { ProvenanceMeta } from "../registry-api/registry-api-service.ts";
import {
  type ImportedServer,
  importServerJson,
  OFFICIAL_META,
  PROVENANCE_META,
} from "../registry-api/server-json.ts";
import {
  DuplicateSourceNameError,
  type FederationSource,
  type FederationStore,
  MAX_REPORTED_ENTRIES,
  type SyncEntryReport,
  type SyncReport,
} from "../store/federation-store.ts";
import { type RegistryStore, type ServerRecord, UNKNOWN_HEALTH } from "../store/registry-store.ts";
import type { SecretSource } from "../upstream/egress.ts";
import { readSource, type SourceEntry, SourceUnreachableError } from "./registry-client.ts";
import type { SourceCreate } from "./source-input.ts";

export interface FederationServiceOptions {
  sources: FederationStore;
  store: RegistryStore;
  servers: ServerService;
  access: AccessGuard;
  secrets: SecretSource;
  /** This gateway's registry namespace: entries whose origin it is are its own. */
  namespace: string;
  /** The egress guard's address check (EgressGuard.check). */
  checkUpstreamUrl: UpstreamAddressCheck;
  defaultTimeoutMs: number;
  /** Bound for reading a source (all pages) and for the imports of one sync. */
  syncTimeoutMs: number;
  fetch?: typeof fetch;
  now?: () => Date;
  newId?: () => string;
}

/** Catalog reads of one sync run at most this many at a time. */
const IMPORT_CONCURRENCY = 4;

export class FederationService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: FederationServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  async create(principal: Principal, input: SourceCreate): Promise<FederationSource> {
    await this.requireManager(principal);
    const errors = await checkUpstreamUrls([input.url], this.options.checkUpstreamUrl, () => "url");
    if (errors.length > 0) throw new GatewayError("validation", { errors });
    const timestamp = this.now().toISOString();
    const source: FederationSource = {
      id: this.newId(),
      tenant: principal.tenant,
      name: input.name,
      url: input.url.replace(/\/+$/, ""),
      mode: input.mode,
      servers: input.mode === "selected" ? [...new Set(input.servers)] : [],
      syncIntervalMinutes: input.syncIntervalMinutes,
      auth: input.auth,
      createdBy: principal.subject,
      createdAt: timestamp,
      updatedAt: timestamp,
      lastSyncAt: null,
      lastSync: null,
    };
    try {
      await this.options.sources.insert(source);
    } catch (error) {
      if (error instanceof DuplicateSourceNameError) {
        throw new GatewayError("conflict", {
          detail: `A source named "${input.name}" already exists`,
          errors: [{ field: "name", message: "already taken" }],
        });
      }
      throw error;
    }
    return source;
  }

  async list(principal: Principal): Promise<FederationSource[]> {
    await this.requireManager(principal);
    return this.options.sources.list(principal.tenant);
  }

  async get(principal: Principal, id: string): Promise<FederationSource> {
    await this.requireManager(principal);
    return this.found(principal.tenant, id);
  }

  /** Removes the source; its servers stay, marked deleted and disabled like servers removed upstream. */
  async delete(principal: Principal, id: string): Promise<void> {
    await this.requireManager(principal);
    const source = await this.found(principal.tenant, id);
    const imported = await this.options.store.serversFromSource(source.tenant, source.id);
    for (const server of imported) await this.retire(server);
    await this.options.sources.delete(source.tenant, source.id);
  }

  /** Sync now (POST .../sources/{id}/sync). */
  async syncNow(principal: Principal, id: string): Promise<FederationSource> {
    await this.requireManager(principal);
    const source = await this.found(principal.tenant, id);
    await this.sync(source, "manual");
    return this.found(principal.tenant, id);
  }

  /** The Cron Trigger's work: every source whose interval has passed since its last sync. */
  async syncDue(): Promise<SyncReport[]> {
    const now = this.now().getTime();
    const due = (await this.options.sources.listScheduled()).filter(
      (source) =>
        source.syncIntervalMinutes !== null &&
        (source.lastSyncAt === null ||
          Date.parse(source.lastSyncAt) + source.syncIntervalMinutes * 60_000 <= now),
    );
    const reports: SyncReport[] = [];
    for (const source of due) reports.push(await this.sync(source, "scheduled"));
    return reports;
  }

  /** Reads the source and brings its servers here; always records a report, never throws for the source's faults. */
  async sync(source: FederationSource, trigger: SyncReport["trigger"]): Promise<SyncReport> {
    const startedAt = this.now().toISOString();
    const deadline = Date.now() + this.options.syncTimeoutMs;
    let entries: SourceEntry[];
    try {
      entries = await readSource({
        url: source.url,
        bearerToken: source.auth ? (this.options.secrets(source.auth.secret) ?? null) : null,
        timeoutMs: this.options.syncTimeoutMs,
        ...(this.options.fetch ? { fetch: this.options.fetch } : {}),
      });
    } catch (error) {
      if (!(error instanceof SourceUnreachableError)) throw error;
      const report = finishReport(startedAt, this.now(), trigger, [], 0, error.message);
      await this.options.sources.recordSync(source.tenant, source.id, report);
      return report;
    }

    const existing = new Map(
      (await this.options.store.serversFromSource(source.tenant, source.id)).map((server) => [
        server.provenance?.upstreamName ?? "",
        server,
      ]),
    );
    const listed = new Set<string>();
    const results: SyncEntryReport[] = [];
    const work: (() => Promise<void>)[] = [];
    for (const entry of entries) {
      const name = nameOf(entry);
      if (source.mode === "selected" && !source.servers.includes(name)) continue;
      if (listed.has(name)) {
        results.push(skipped(name, entry, "listed twice by the source; the first entry was used"));
        continue;
      }
      listed.add(name);
      const official = (entry.meta[OFFICIAL_META] ?? {}) as { status?: unknown };
      if (official.status === "deleted") {
        listed.delete(name);
        continue;
      }
      const origin = (entry.meta[PROVENANCE_META] as Partial<ProvenanceMeta> | undefined)?.origin;
      if (origin === this.options.namespace) {
        results.push(skipped(name, entry, "published by this gateway (federation loop): not imported back"));
        continue;
      }
      const imported = importServerJson(entry.server);
      if (!imported.ok) {
        const reason = imported.errors
          .map((error) => `${error.field || "entry"}: ${error.message}`)
          .join("; ");
        results.push(skipped(name, entry, reason));
        continue;
      }
      work.push(async () => {
        if (Date.now() > deadline) {
          results.push(skipped(name, entry, "the sync ran out of time; it continues at the next sync"));
          return;
        }
        try {
          results.push(
            await this.apply(
              source,
              entry,
              imported.server,
              typeof origin === "string" ? origin : source.url,
              existing.get(name) ?? null,
            ),
          );
        } catch (error) {
          results.push(
            skipped(name, entry, error instanceof GatewayError ? describe(error) : "could not be stored"),
          );
          if (!(error instanceof GatewayError))
            console.error(
              JSON.stringify({
                level: "error",
                event: "federation_import_failed",
                source: source.id,
                name,
                error: String(error),
              }),
            );
        }
      });
    }
    await runLimited(work, IMPORT_CONCURRENCY);

    // Entries the source no longer lists (or no longer selects): deleted here, kept.
    for (const [name, server] of existing) {
      if (listed.has(name) || server.lifecycle === "deleted") continue;
      await this.retire(server);
      results.push({
        name,
        version: server.provenance?.upstreamVersion ?? null,
        outcome: "deleted",
        reason: "no longer listed by the source",
        serverId: server.id,
      });
    }
    const finished = this.now();
    const unchanged = results.filter((result) => result.outcome === "unchanged" && result.serverId);
    await this.options.store.markSynced(
      source.tenant,
      unchanged.map((result) => result.serverId as string),
      finished.toISOString(),
    );
    const report = finishReport(startedAt, finished, trigger, results, entries.length, null);
    await this.options.sources.recordSync(source.tenant, source.id, report);
    return report;
  }

  private async apply(
    source: FederationSource,
    entry: SourceEntry,
    imported: ImportedServer,
    origin: string,
    current: ServerRecord | null,
  ): Promise<SyncEntryReport> {
    const digest = await sha256Hex(canonicalJson(entry.server));
    const timestamp = this.now().toISOString();
    const provenance = {
      sourceId: source.id,
      sourceName: source.name,
      sourceUrl: source.url,
      upstreamName: imported.registryName,
      upstreamVersion: imported.version,
      origin,
      upstreamDigest: digest,
      lastSyncedAt: timestamp,
    };
    const fromSource = {
      name: imported.displayName.slice(0, 200),
      description: imported.description,
      endpoints: imported.endpoints,
      version: imported.version.slice(0, 100),
      registryDetails: imported.registryDetails,
      provenance,
      lifecycle: "active" as const,
    };
    const report = (
      outcome: SyncEntryReport["outcome"],
      server: { id: string; catalog: { status: string; error: string | null } },
    ) => ({
      name: imported.registryName,
      version: imported.version,
      outcome,
      reason:
        server.catalog.status === "unreachable"
          ? `catalog not read: ${server.catalog.error ?? "unreachable"}`
          : null,
      serverId: server.id,
    });

    if (current) {
      const returning = current.lifecycle === "deleted";
      if (current.provenance?.upstreamDigest === digest && !returning) {
        return report("unchanged", current);
      }
      const next: ServerRecord = {
        ...current,
        ...fromSource,
        // A server that comes back upstream is enabled again; otherwise enablement is local.
        enabled: returning ? true : current.enabled,
        updatedAt: timestamp,
      };
      return report("updated", await this.options.servers.replaceImported(next, true));
    }

    const holder = await this.options.store.getServerByRegistryName(
      source.tenant,
      imported.registryName,
      this.options.namespace,
    );
    if (holder) {
      const owner = holder.provenance
        ? `imported from source "${holder.provenance.sourceName}"`
        : "registered here";
      return skipped(
        imported.registryName,
        entry,
        `the name is taken by the server at /${holder.path} (${owner})`,
      );
    }
    const path = await this.freePath(pathSlugFor(imported.registryName));
    const needsToken = imported.requiredSecretHeaders.some(
      (header) => header.toLowerCase() === "authorization",
    );
    const draft: ServerRecord = {
      id: this.newId(),
      tenant: source.tenant,
      path,
      ...fromSource,
      tags: [],
      timeoutMs: this.options.defaultTimeoutMs,
      egress: needsToken && source.auth ? { type: "bearer", secret: source.auth.secret } : null,
      license: null,
      metadata: {},
      enabled: true,
      visibility: "public",
      owner: `federation:${source.name}`,
      source: "federated",
      catalog: {
        status: "pending",
        error: null,
        checkedAt: null,
        serverInfo: null,
        protocolVersion: null,
        counts: { tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 },
        warnings: [],
      },
      loadBalancing: { strategy: "weighted", hashOn: "identity" },
      circuitBreaker: null,
      healthCheck: null,
      rateLimit: null,
      health: UNKNOWN_HEALTH,
      registryName: imported.registryName,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    return report("imported", await this.options.servers.createImported(draft));
  }

  /** The slug itself, or with -2, -3, ... when taken (paths are one URL space for all tenants). */
  private async freePath(slug: string): Promise<string> {
    for (let attempt = 1; attempt <= 50; attempt += 1) {
      const suffix = attempt === 1 ? "" : `-${attempt}`;
      const candidate = `${slug.slice(0, 64 - suffix.length).replace(/-+$/, "")}${suffix}`;
      if (!(await this.options.store.getServerByPath(candidate))) return candidate;
    }
    return `${slug.slice(0, 55)}-${this.newId().slice(0, 8)}`;
  }

  private async retire(server: ServerRecord): Promise<void> {
    if (server.lifecycle === "deleted" && !server.enabled) return;
    await this.options.servers.replaceImported(
      { ...server, lifecycle: "deleted", enabled: false, updatedAt: this.now().toISOString() },
      false,
    );
  }

  private async found(tenant: string, id: string): Promise<FederationSource> {
    const source = await this.options.sources.get(tenant, id);
    if (!source) throw new GatewayError("not-found", { detail: `No federation source with id "${id}"` });
    return source;
  }

  private async requireManager(principal: Principal): Promise<void> {
    await this.options.access.require(principal, { kind: "registry", action: "manage_federation" });
  }
}

function nameOf(entry: SourceEntry): string {
  const name = (entry.server as { name?: unknown } | null)?.name;
  return typeof name === "string" ? name : "";
}

function skipped(name: string, entry: SourceEntry, reason: string): SyncEntryReport {
  const version = (entry.server as { version?: unknown } | null)?.version;
  return {
    name,
    version: typeof version === "string" ? version : null,
    outcome: "skipped",
    reason,
    serverId: null,
  };
}

function describe(error: GatewayError): string {
  const fields = error.errors.map((item) => `${item.field}: ${item.message}`).join("; ");
  return fields ? `${error.detail ?? error.title} (${fields})` : (error.detail ?? error.title);
}

function finishReport(
  startedAt: string,
  finished: Date,
  trigger: SyncReport["trigger"],
  entries: SyncEntryReport[],
  seen: number,
  error: string | null,
): SyncReport {
  const counts = { seen, imported: 0, updated: 0, unchanged: 0, deleted: 0, skipped: 0 };
  for (const entry of entries) counts[entry.outcome] += 1;
  return {
    startedAt,
    finishedAt: finished.toISOString(),
    status: error !== null ? "failed" : counts.skipped > 0 ? "partial" : "ok",
    error,
    trigger,
    counts,
    entries: entries.slice(0, MAX_REPORTED_ENTRIES),
  };
}

/** Runs the tasks with at most `limit` in flight. */
async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next];
      next += 1;
      await task?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
