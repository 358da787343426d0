// What one caller sees through the aggregated endpoint: the enabled servers of
// its tenant, and of each, the tools it may call, the resources and templates
// it may read and the prompts it may get. Built from the registry's stored
// catalog (no upstream round trip). Servers whose catalog is not readable are
// kept (list_servers and server_health report them) but not exposed.
import type { Principal } from "../auth/principal.ts";
import { type Decision, decide } from "../policy/access-policy.ts";
import type { Services } from "../services.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import { BROADCAST_SERVER } from "./gateway-names.ts";

/** The caller's MCP permissions, with the tenant's policy loaded once per exchange. */
export interface CallerAccess {
  decide(server: string, method: string, tool?: string): Decision;
}

/** The one place the aggregated endpoint asks the policy engine. */
export async function callerAccess(services: Services, principal: Principal): Promise<CallerAccess> {
  const policy = await services.access.policyFor(principal.tenant);
  return {
    decide: (server, method, tool) =>
      decide(policy, principal, { kind: "mcp", server, method, ...(tool === undefined ? {} : { tool }) }),
  };
}

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

/** Servers beyond this many are left out of the aggregated view (the listing would be unusable anyway). */
export const MAX_VIEW_SERVERS = 1_000;
const PAGE = 100;
const PARALLEL_CATALOG_READS = 8;

export async function loadGatewayView(
  store: RegistryStore,
  principal: Principal,
  access: CallerAccess,
  /** Tool pinning: cuts a stored catalog to approved entries. */
  approved: (server: ServerRecord, entries: CatalogEntry[]) => Promise<CatalogEntry[]> = async (_s, e) => e,
): Promise<GatewayView> {
  const records = await usableServers(store, principal.tenant);
  const views: ServerView[] = [];
  for (let start = 0; start < records.length; start += PARALLEL_CATALOG_READS) {
    const chunk = records.slice(start, start + PARALLEL_CATALOG_READS);
    const catalogs = await Promise.all(
      chunk.map(async (server) => approved(server, await store.listCatalog(server.tenant, server.id))),
    );
    chunk.forEach((server, index) => {
      const view = permittedView(server, catalogs[index] ?? [], access);
      if (view) views.push(view);
    });
  }
  return { servers: views };
}

/** One server by path, as the call path sees it; null when it is not the caller's to use. */
export async function findExposedServer(
  store: RegistryStore,
  principal: Principal,
  path: string,
): Promise<ServerRecord | null> {
  const server = await store.getServerByPath(path);
  if (!server || server.tenant !== principal.tenant || !isUsable(server)) return null;
  return server.catalog.status === "ok" ? server : null;
}

async function usableServers(store: RegistryStore, tenant: string): Promise<ServerRecord[]> {
  const servers: ServerRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listServers(tenant, { enabled: true, limit: PAGE, ...(cursor && { cursor }) });
    servers.push(...page.items.filter(isUsable));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && servers.length < MAX_VIEW_SERVERS);
  return servers.slice(0, MAX_VIEW_SERVERS);
}

function isUsable(server: ServerRecord): boolean {
  // A server registered before `broadcast` was reserved would shadow the broadcast tools.
  return server.enabled && server.lifecycle !== "deleted" && server.path !== BROADCAST_SERVER;
}

function permittedView(
  server: ServerRecord,
  catalog: CatalogEntry[],
  access: CallerAccess,
): ServerView | null {
  const path = server.path;
  const mayRead = access.decide(path, "resources/read").allow;
  const mayGetPrompts = access.decide(path, "prompts/get").allow;
  const view: ServerView = {
    server,
    exposed: server.catalog.status === "ok",
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
