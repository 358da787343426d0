// Each tenant's usable servers with their stored catalogs, kept per isolate
// for the aggregated endpoint's listings (tools/list and the rest, broadcast
// and registry tools), so a listing costs no D1 query while nothing changed.
// Invalidation is explicit: every registry write this isolate sees, through
// any Services instance (the Worker's and its Durable Objects' alike), bumps
// one generation, and entries loaded before it are never served after it.
// Writes made on other isolates are seen within TENANT_CATALOGS_TTL_MS, the
// same bound as the server lookups (server-directory.ts). Bounded: at most
// MAX_TENANTS tenants, least recently loaded dropped first. Only finished
// reads are kept: concurrent misses each read, because under workerd a
// request awaiting a read another request started would resume in that
// request's I/O context ("Cannot perform I/O on behalf of a different request").
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import type { RegistryObserver } from "./server-service.ts";

/** A usable server of the tenant with its stored catalog (every kind; treat both as read-only). */
export interface StoredServer {
  server: ServerRecord;
  catalog: CatalogEntry[];
}

export const TENANT_CATALOGS_TTL_MS = 2_000;
const MAX_TENANTS = 256;

let registryGeneration = 0;

interface TenantEntry {
  servers: StoredServer[];
  generation: number;
  expiresAt: number;
}

export class TenantCatalogs implements RegistryObserver {
  private readonly tenants = new Map<string, TenantEntry>();

  constructor(
    private readonly ttlMs = TENANT_CATALOGS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** `tenant`'s stored servers, from `read` unless a current copy is kept (a failed read is not kept). */
  async load(tenant: string, read: () => Promise<StoredServer[]>): Promise<StoredServer[]> {
    const cached = this.tenants.get(tenant);
    if (cached && cached.generation === registryGeneration && cached.expiresAt > this.now()) {
      return cached.servers;
    }
    // Generation and expiry as of the read's start: a write meanwhile leaves the copy void at once.
    const generation = registryGeneration;
    const expiresAt = this.now() + this.ttlMs;
    const servers = await read();
    // A slower read from before a write must not push out a copy read after it.
    if ((this.tenants.get(tenant)?.generation ?? generation) > generation) return servers;
    this.tenants.delete(tenant);
    if (this.tenants.size >= MAX_TENANTS) {
      const least = this.tenants.keys().next().value;
      if (least !== undefined) this.tenants.delete(least);
    }
    this.tenants.set(tenant, { servers, generation, expiresAt });
    return servers;
  }

  /** Tenants kept (tests). */
  get size(): number {
    return this.tenants.size;
  }

  async serverSaved(): Promise<void> {
    registryGeneration += 1;
  }

  async serverDeleted(): Promise<void> {
    registryGeneration += 1;
  }
}

const byStore = new WeakMap<RegistryStore, TenantCatalogs>();

/** The isolate's cache for `store` (services.ts registers it as a registry observer). */
export function tenantCatalogsOf(store: RegistryStore): TenantCatalogs {
  let catalogs = byStore.get(store);
  if (!catalogs) {
    catalogs = new TenantCatalogs();
    byStore.set(store, catalogs);
  }
  return catalogs;
}
