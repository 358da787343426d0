// Everything `/{path}/mcp` needs to know about one caller and one server,
// looked up once and kept per isolate: the usable server at the path (the
// usable-server rule and visibility), the caller's guard on it (the tenant's
// policy through the one `decide()`, with the server's approved tools), and
// the egress secrets when they are the same for every caller. A steady-state
// request finds it with one Map lookup and one integer compare, where it
// used to ask four services (directory, viewer, policy, approvals), each
// with its own cache.
//
// Freshness: an entry expires no later than the earliest of the entries it
// was built from (server 2 s, policy 5 s, approvals 2 s), so writes made by
// other isolates reach it within the same bounds as before; writes made by
// this isolate (a server saved or deleted, scopes replaced, an approval
// changed) move the route epoch (registry/route-epoch.ts) and void every
// entry at once. One request builds a missing entry while concurrent misses
// wait for it on their own timers, never on its promise (edge/caller-routes.ts;
// without this every request arriving during a rebuild rebuilt too: three D1
// selects each, ~5% of a loaded isolate's CPU, issue 10). The caller's
// token is not part of it: authentication (and revocation) runs on every
// request before the route is looked up.
import type { Principal } from "../auth/principal.ts";
import { type McpGuard, mcpAccess } from "../edge/access.ts";
import { CallerRoutes, rememberingDecisions } from "../edge/caller-routes.ts";
import { pinnedGuard } from "../edge/pinned-guard.ts";
import { isUsableServer } from "../edge/usable-servers.ts";
import type { CompiledPolicy } from "../policy/access-policy.ts";
import { isStatelessVersion } from "../protocol/jsonrpc.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { type SecretSource, secretsFromEnv } from "../upstream/egress.ts";

type PinSet = Parameters<typeof pinnedGuard>[1];

export interface ProxyRoute {
  server: ServerRecord;
  /** Policy and approved tools of this caller on this server; decisions are remembered. */
  guard: McpGuard;
  /** The egress secrets, or null when they are the caller's own (per-user egress, resolved per request). */
  secrets: SecretSource | null;
  /** The server speaks 2026-07-28 (its catalog says so): session clients may need the bridge. */
  speaks2026: boolean;
  /** The server has no Streamable HTTP endpoint (legacy HTTP+SSE only). */
  sseOnly: boolean;
}

/** Where a route is built from (the composition root's services satisfy it). */
export interface RouteSources {
  directory: { byPathEntry(path: string): Promise<{ server: ServerRecord | null; until: number }> };
  access: { policyEntry(tenant: string): Promise<{ policy: CompiledPolicy; until: number }> };
  approvals: { pinsEntry(tenant: string, serverId: string): Promise<{ pins: PinSet; until: number }> };
  routeEpoch: { readonly value: number };
}

/** Entries per isolate (per caller and path); the oldest go first. */
export const MAX_ROUTES = 5_000;

// The cache mechanism and its freshness rules are shared with the aggregated endpoint (edge/caller-routes.ts).
const routes = new CallerRoutes<ProxyRoute | null>(MAX_ROUTES);

/** The route of `principal` to `/{path}`, or null when there is no server it may use there. */
export function proxyRouteFor(
  sources: RouteSources,
  env: object,
  principal: Principal,
  path: string,
): Promise<ProxyRoute | null> {
  return routes.get(sources.routeEpoch, principal, path, () => load(sources, env, principal, path));
}

/** Forgets every cached route built from `sources` (tests). */
export function forgetProxyRoutes(sources: Pick<RouteSources, "routeEpoch">): void {
  routes.forget(sources.routeEpoch);
}

/** How many routes are cached for `sources` (tests: the bound). */
export function cachedProxyRoutes(sources: Pick<RouteSources, "routeEpoch">): number {
  return routes.size(sources.routeEpoch);
}

async function load(
  sources: RouteSources,
  env: object,
  principal: Principal,
  path: string,
): Promise<{ value: ProxyRoute | null; until: number }> {
  const found = await sources.directory.byPathEntry(path);
  const server = found.server;
  if (server === null || !isUsableServer(server, principal.tenant))
    return { value: null, until: found.until };
  const [policy, pins] = await Promise.all([
    sources.access.policyEntry(principal.tenant),
    sources.approvals.pinsEntry(server.tenant, server.id),
  ]);
  const until = Math.min(found.until, policy.until, pins.until);
  const access = mcpAccess(policy.policy, principal);
  // Visibility (registry/visibility.ts): a server the caller may not see is answered as absent.
  if (!access.sees(server)) return { value: null, until };
  const guard = rememberingDecisions(pinnedGuard(access.forServer(server.path), pins.pins));
  // Per-user egress: the caller's own token is resolved on each request (it is refreshed near expiry).
  const secrets = server.egress?.type === "oauth" ? null : secretsFromEnv(env);
  // The server's generation, decided once per route (routes/server-mcp.ts picks a bridge with it).
  const speaks2026 = isStatelessVersion(server.catalog.protocolVersion);
  const sseOnly = !server.endpoints.some((endpoint) => endpoint.transport === "streamable-http");
  return { value: { server, guard, secrets, speaks2026, sseOnly }, until };
}
