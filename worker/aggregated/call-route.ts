// Everything a `tools/call` of `{server}__{tool}` on the aggregated endpoint
// (and the policy and server of a `resources/read` or `prompts/get` there)
// needs to know about one caller and one server path, looked up once and kept
// per isolate: the caller's policy on the path (decisions remembered), the
// server if the caller may use it there (the usable-server rule, visibility,
// a readable catalog), the names of its stored tools, and its approved tools
// (tool pinning). A steady-state call finds it with one Map lookup and one
// integer compare, where it used to ask four services (policy, directory,
// catalog, approvals), each behind its own cache.
//
// The cache itself, and its freshness rules, are the per-server proxy's
// (edge/caller-routes.ts): an entry expires no later than the earliest of
// the entries it was built from (policy 5 s, server 2 s, catalog 2 s,
// approvals 2 s), and writes through this isolate (server saved or deleted,
// which includes a catalog refresh; scopes replaced; an approval decided)
// move the route epoch and void every entry at once.
import type { Principal } from "../auth/principal.ts";
import { type McpGuard, mcpAccess } from "../edge/access.ts";
import { CallerRoutes, rememberingDecisions } from "../edge/caller-routes.ts";
import { isExposedServer, isUsableServer } from "../edge/usable-servers.ts";
import type { CompiledPolicy } from "../policy/access-policy.ts";
import type { PinSet } from "../security/pinning.ts";
import type { CatalogEntry, CatalogKind, ServerRecord } from "../store/registry-store.ts";

export interface CallRoute {
  /** The caller's policy on the server path (decided before anything else, as before). */
  guard: McpGuard;
  /** The server the caller may call tools on at the path; null: none (unknown tool). */
  target: CallTarget | null;
}

export interface CallTarget {
  server: ServerRecord;
  /** The keys of the server's stored tools. */
  tools: ReadonlySet<string>;
  /** The server's approved tools (tool pinning). */
  pins: PinSet;
}

/** Where a call route is built from (the composition root's services satisfy it). */
export interface CallRouteSources {
  directory: {
    byPathEntry(path: string): Promise<{ server: ServerRecord | null; until: number }>;
    catalogEntry(
      server: ServerRecord,
      kind: CatalogKind,
    ): Promise<{ entries: CatalogEntry[]; until: number }>;
  };
  access: { policyEntry(tenant: string): Promise<{ policy: CompiledPolicy; until: number }> };
  approvals: { pinsEntry(tenant: string, serverId: string): Promise<{ pins: PinSet; until: number }> };
  routeEpoch: { readonly value: number };
}

/** Entries per isolate (per caller and server path); the oldest go first. */
export const MAX_CALL_ROUTES = 5_000;

const routes = new CallerRoutes<CallRoute>(MAX_CALL_ROUTES);

/** The route of `principal` to the tools of the server at `path`. */
export function callRouteFor(
  sources: CallRouteSources,
  principal: Principal,
  path: string,
): Promise<CallRoute> {
  return routes.get(sources.routeEpoch, principal, path, () => load(sources, principal, path));
}

/** Forgets every cached call route built from `sources` (tests). */
export function forgetCallRoutes(sources: Pick<CallRouteSources, "routeEpoch">): void {
  routes.forget(sources.routeEpoch);
}

async function load(
  sources: CallRouteSources,
  principal: Principal,
  path: string,
): Promise<{ value: CallRoute; until: number }> {
  const [policy, found] = await Promise.all([
    sources.access.policyEntry(principal.tenant),
    sources.directory.byPathEntry(path),
  ]);
  const access = mcpAccess(policy.policy, principal);
  const guard = rememberingDecisions(access.forServer(path));
  const until = Math.min(policy.until, found.until);
  const server = found.server;
  // The usable-server rule, visibility (a server the caller may not see is answered as absent) and a readable catalog.
  if (
    server === null ||
    !isUsableServer(server, principal.tenant) ||
    !access.sees(server) ||
    !isExposedServer(server)
  ) {
    return { value: { guard, target: null }, until };
  }
  const [catalog, pins] = await Promise.all([
    sources.directory.catalogEntry(server, "tool"),
    sources.approvals.pinsEntry(server.tenant, server.id),
  ]);
  const tools = new Set(catalog.entries.map((entry) => entry.key));
  return {
    value: { guard, target: { server, tools, pins: pins.pins } },
    until: Math.min(until, catalog.until, pins.until),
  };
}
