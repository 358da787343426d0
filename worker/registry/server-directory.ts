// Finding a server by its path on every MCP request without a D1 round trip
// each time: lookups (hits and misses) are kept in the isolate for a short
// time. Changes made through this isolate clear the cache at once (it is a
// registry observer); changes made elsewhere are seen within `ttlMs`, so a
// disabled or deleted server may still be reached for up to that long on
// other isolates. docs/architecture.md states the trade-off. A server's
// stored catalog (per kind) is kept the same way, for the call path of the
// aggregated endpoint (does `{server}__{tool}` exist?).
import type { CatalogEntry, CatalogKind, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import type { RegistryObserver } from "./server-service.ts";

export const SERVER_LOOKUP_TTL_MS = 2_000;
const MAX_ENTRIES = 1_000;

interface Entry {
  server: ServerRecord | null;
  expiresAt: number;
}

interface CatalogCacheEntry {
  entries: CatalogEntry[];
  expiresAt: number;
}

export class ServerDirectory implements RegistryObserver {
  private readonly entries = new Map<string, Entry>();
  private readonly catalogs = new Map<string, CatalogCacheEntry>();
  /** Moves with every write seen here, so a read started before it is not kept. */
  private generation = 0;

  constructor(
    private readonly store: RegistryStore,
    private readonly ttlMs = SERVER_LOOKUP_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async byPath(path: string): Promise<ServerRecord | null> {
    return (await this.byPathEntry(path)).server;
  }

  /**
   * The server at `path` with the time until which this isolate trusts the
   * answer (what is built from it must not be kept longer). Concurrent misses
   * are not merged: under workerd, a request awaiting a read another request
   * started would resume in that request's I/O context.
   */
  async byPathEntry(path: string): Promise<{ server: ServerRecord | null; until: number }> {
    const cached = this.entries.get(path);
    if (cached && cached.expiresAt > this.now()) return { server: cached.server, until: cached.expiresAt };
    const generation = this.generation;
    const server = await this.store.getServerByPath(path);
    const expiresAt = this.now() + this.ttlMs;
    // A write made here while the read was under way voids it (the next request reads again).
    if (generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(path, { server, expiresAt });
    }
    return { server, until: expiresAt };
  }

  /** The stored catalog entries of `server` of one kind (treat as read-only). */
  async catalog(server: ServerRecord, kind: CatalogKind): Promise<CatalogEntry[]> {
    return (await this.catalogEntry(server, kind)).entries;
  }

  /** The stored catalog entries of one kind with the time until which this isolate trusts them. */
  async catalogEntry(
    server: ServerRecord,
    kind: CatalogKind,
  ): Promise<{ entries: CatalogEntry[]; until: number }> {
    const key = `${server.id} ${kind}`;
    const cached = this.catalogs.get(key);
    if (cached && cached.expiresAt > this.now()) return { entries: cached.entries, until: cached.expiresAt };
    const generation = this.generation;
    const entries = await this.store.listCatalog(server.tenant, server.id, kind);
    const expiresAt = this.now() + this.ttlMs;
    // As for servers: a write made here while the read was under way voids it.
    if (generation === this.generation) {
      if (this.catalogs.size >= MAX_ENTRIES) this.catalogs.clear();
      this.catalogs.set(key, { entries, expiresAt });
    }
    return { entries, until: expiresAt };
  }

  // A rename changes two paths and a delete names only the id: clearing the
  // whole (small, short-lived) cache is simpler than tracking either.
  async serverSaved(): Promise<void> {
    this.forgetAll();
  }

  async serverDeleted(): Promise<void> {
    this.forgetAll();
  }

  private forgetAll(): void {
    this.generation += 1;
    this.entries.clear();
    this.catalogs.clear();
  }
}
