// What one caller sees through the aggregated endpoint: the enabled servers of
// its tenant, and of each, the tools it may call, the resources and templates
// it may read and the prompts it may get. Built from the registry's stored
// catalog (no upstream round trip). Servers whose catalog is not readable are
// kept (list_servers and server_health report them) but not exposed.
// The tenant's usable servers and their stored catalogs are kept per isolate
// (registry/tenant-catalogs.ts): a listing costs no D1 query while nothing changed.
import type { Principal } from "../auth/principal.ts";
import type { McpAccess } from "../edge/access.ts";
import { findUsableServer, isExposedServer, listUsableServers } from "../edge/usable-servers.ts";
import type { ServerDirectory } from "../registry/server-directory.ts";
import { type StoredServer, tenantCatalogsOf } from "../registry/tenant-catalogs.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";

export interface ServerView {
  server: ServerRecord;
  /** Its catalog is readable, so its tools, resources and prompts are listed and callable. */
  exposed: boolean;
  tools: CatalogEntry[];
  resources: CatalogEntry[];
  resourceTemplates: CatalogEntry[];
  prompts: CatalogEntry[];
}

export interface GatewayView {
  /** In path order; only servers on which the caller may use something. */
  servers: ServerView[];
}

const PARALLEL_CATALOG_READS = 8;

export async function loadGatewayView(
  store: RegistryStore,
  principal: Principal,
  access: McpAccess,
  /** Tool pinning: cuts a stored catalog to approved entries. */
  approved: (server: ServerRecord, entries: CatalogEntry[]) => Promise<CatalogEntry[]> = async (_s, e) => e,
): Promise<GatewayView> {
  const stored = await tenantCatalogsOf(store).load(principal.tenant, () =>
    readStoredServers(store, principal),
  );
  const visible = stored.filter((entry) => access.sees(entry.server));
  const views: ServerView[] = [];
  for (let start = 0; start < visible.length; start += PARALLEL_CATALOG_READS) {
    const chunk = visible.slice(start, start + PARALLEL_CATALOG_READS);
    const catalogs = await Promise.all(chunk.map((entry) => approved(entry.server, entry.catalog)));
    chunk.forEach((entry, index) => {
      const view = permittedView(entry.server, catalogs[index] ?? [], access);
      if (view) views.push(view);
    });
  }
  return { servers: views };
}

/** The tenant's usable servers in path order, each with its stored catalog (every kind). */
async function readStoredServers(store: RegistryStore, principal: Principal): Promise<StoredServer[]> {
  const records = await listUsableServers(store, principal);
  const stored: StoredServer[] = [];
  for (let start = 0; start < records.length; start += PARALLEL_CATALOG_READS) {
    const chunk = records.slice(start, start + PARALLEL_CATALOG_READS);
    const catalogs = await Promise.all(chunk.map((server) => store.listCatalog(server.tenant, server.id)));
    chunk.forEach((server, index) => {
      stored.push({ server, catalog: catalogs[index] ?? [] });
    });
  }
  return stored;
}

/** One server by path, as the call path sees it; null when it is not the caller's to use or not exposed. */
export async function findExposedServer(
  directory: ServerDirectory,
  principal: Principal,
  path: string,
  access: McpAccess,
): Promise<ServerRecord | null> {
  const server = await findUsableServer(directory, principal, path);
  return server !== null && access.sees(server) && isExposedServer(server) ? server : null;
}

function permittedView(server: ServerRecord, catalog: CatalogEntry[], access: McpAccess): ServerView | null {
  const path = server.path;
  const mayRead = access.decide(path, "resources/read").allow;
  const mayGetPrompts = access.decide(path, "prompts/get").allow;
  const view: ServerView = {
    server,
    exposed: isExposedServer(server),
    tools: [],
    resources: [],
    resourceTemplates: [],
    prompts: [],
  };
  for (const entry of catalog) {
    switch (entry.kind) {
      case "tool":
        if (access.decide(path, "tools/call", entry.key).allow) view.tools.push(entry);
        break;
      case "resource":
        if (mayRead) view.resources.push(entry);
        break;
      case "resource_template":
        if (mayRead) view.resourceTemplates.push(entry);
        break;
      case "prompt":
        if (mayGetPrompts) view.prompts.push(entry);
        break;
    }
  }
  const anything =
    view.tools.length + view.resources.length + view.resourceTemplates.length + view.prompts.length > 0;
  return anything || mayRead || mayGetPrompts ? view : null;
}
