// One registered server served by the aggregated machinery as a virtual
// server over exactly that server: its whole (approved) catalog under its own
// names, so it looks like the server itself ("a virtual server over one server
// looks exactly like it"). The per-server path uses it where it bridges
// generations (routes/server-mcp-2026.ts for 2026 clients of a 2025 server,
// routes/server-mcp-session-bridge.ts for session clients of a 2026-only
// server). Session scopes name such a server `/{path}` (a slash never starts a
// virtual server's name), so the McpSession object resolves both kinds here.
import type { Principal } from "../auth/principal.ts";
import { findUsableServer } from "../edge/usable-servers.ts";
import { canSee } from "../registry/visibility.ts";
import type { Services } from "../services.ts";
import type { CatalogEntry, ServerRecord } from "../store/registry-store.ts";
import type { VirtualServerRecord } from "../store/virtual-server-store.ts";
import type { ExchangeInit } from "./gateway-exchange.ts";
import { virtualExchange } from "./virtual-exchange.ts";

/** The session scope of the per-server bridge for the server at `path`. */
export function serverSessionScope(path: string): string {
  return `/${path}`;
}

/** The virtual server exposing every catalog entry of `server` under its own name. */
export function wholeServerVirtual(server: ServerRecord, entries: CatalogEntry[]): VirtualServerRecord {
  const now = new Date().toISOString();
  const of = (...kinds: string[]) => entries.filter((entry) => kinds.includes(entry.kind));
  return {
    id: `server:${server.id}`,
    tenant: server.tenant,
    name: server.path,
    description: "",
    mode: "tools",
    tools: of("tool").map((e) => ({ server: server.path, tool: e.key })),
    resources: of("resource", "resource_template").map((e) => ({ server: server.path, uri: e.key })),
    prompts: of("prompt").map((e) => ({ server: server.path, prompt: e.key })),
    enabled: true,
    owner: server.owner,
    createdAt: now,
    updatedAt: now,
  };
}

/** `wholeServerVirtual` of `server`, its catalog read from the store. */
export async function wholeServerScope(
  services: Services,
  server: ServerRecord,
): Promise<VirtualServerRecord> {
  return wholeServerVirtual(server, await services.store.listCatalog(server.tenant, server.id));
}

type ScopeInit = Pick<ExchangeInit, "endpoint" | "createServer" | "relayServers" | "resources">;

/**
 * What a session scope serves for `principal` now: a virtual server by name,
 * or (`/{path}`) a registered server the caller may still use and see. Null
 * when it is gone, disabled or hidden: the session then answers 404.
 */
export async function servableScope(
  services: Services,
  principal: Principal,
  scope: string,
): Promise<ScopeInit | null> {
  if (!scope.startsWith("/")) {
    const record = await services.virtualServers.servable(principal.tenant, scope);
    return record && virtualExchange(record);
  }
  const path = scope.slice(1);
  const server = await findUsableServer(services.directory, principal, path);
  if (server === null || !canSee(await services.access.viewer(principal), server)) return null;
  // Audited as the per-server endpoint it is reached at.
  return { ...virtualExchange(await wholeServerScope(services, server)), endpoint: `/${path}/mcp` };
}
