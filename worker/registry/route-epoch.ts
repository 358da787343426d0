// One counter per composition root (per isolate) that moves whenever this
// isolate writes something that decides who reaches which MCP server and
// how: a server saved or deleted, a tenant's scopes replaced, a tool
// approval changed. Caches built from those (proxy/proxy-route.ts) keep the
// value they were built at and are void once it moved: explicit
// invalidation at the cost of one integer compare per request. Writes made
// by other isolates are not seen here; the caches' expiry (never later than
// that of the entries they were built from) bounds those.
import type { CatalogEntry, ServerRecord } from "../store/registry-store.ts";
import type { RegistryObserver } from "./server-service.ts";

export class RouteEpoch implements RegistryObserver {
  #value = 0;

  get value(): number {
    return this.#value;
  }

  /** Something a route depends on changed in this isolate. */
  changed(): void {
    this.#value += 1;
  }

  async serverSaved(_server: ServerRecord, _catalog?: CatalogEntry[]): Promise<void> {
    this.changed();
  }

  async serverDeleted(_tenant: string, _id: string): Promise<void> {
    this.changed();
  }
}
