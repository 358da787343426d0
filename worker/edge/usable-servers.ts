// The one usable-server rule of every MCP endpoint: a server is reachable by
// a caller when it belongs to the caller's tenant, is enabled, is not being
// deleted, and does not sit on a reserved path. The per-server endpoints and
// the aggregated endpoint (its listing and its calls) all ask here.
import type { Principal } from "../auth/principal.ts";
import type { ServerDirectory } from "../registry/server-directory.ts";
import type { RegistryStore, ServerRecord } from "../store/registry-store.ts";

/** Reserved: `broadcast__{tool}` names the aggregated endpoint's broadcast tools. */
export const BROADCAST_SERVER = "broadcast";

export function isUsableServer(server: ServerRecord, tenant: string): boolean {
  // A server registered before `broadcast` was reserved would shadow the broadcast tools.
  return (
    server.tenant === tenant &&
    server.enabled &&
    server.lifecycle !== "deleted" &&
    server.path !== BROADCAST_SERVER
  );
}

/** Usable and with a readable catalog: its tools, resources and prompts are exposed on /mcp. */
export function isExposedServer(server: ServerRecord): boolean {
  return server.catalog.status === "ok";
}

/** One server by path (isolate-cached lookup); null when the caller may not use it. */
export async function findUsableServer(
  directory: ServerDirectory,
  principal: Principal,
  path: string,
): Promise<ServerRecord | null> {
  const server = await directory.byPath(path);
  return server !== null && isUsableServer(server, principal.tenant) ? server : null;
}

/** Servers beyond this many are left out of the aggregated view (the listing would be unusable anyway). */
export const MAX_VIEW_SERVERS = 1_000;
const PAGE = 100;

/** Every usable server of the caller's tenant, in path order. */
export async function listUsableServers(store: RegistryStore, principal: Principal): Promise<ServerRecord[]> {
  const servers: ServerRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listServers(principal.tenant, {
      enabled: true,
      limit: PAGE,
      ...(cursor && { cursor }),
    });
    servers.push(...page.items.filter((server) => isUsableServer(server, principal.tenant)));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && servers.length < MAX_VIEW_SERVERS);
  return servers.slice(0, MAX_VIEW_SERVERS);
}
