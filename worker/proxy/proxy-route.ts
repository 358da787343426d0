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
// entry at once. Only finished loads are kept, and no request awaits a load
// another request started (under workerd it would resume in that request's
// I/O context: "Cannot perform I/O on behalf of a different request").
// Instead, while one request of the isolate builds an entry, the others that
// miss it wait on their own short timers and take the entry once it is
// there (without this, every request arriving during a rebuild rebuilt too:
// three D1 selects each, ~5% of a loaded isolate's CPU, issue 10); they
// build it themselves if the builder fails or is not done after ~0.5 s. The caller's
// token is not part of it: authentication (and revocation) runs on every
// request before the route is looked up.
import type { Principal } from "../auth/principal.ts";
import { type McpGuard, mcpAccess } from "../edge/access.ts";
import { pinnedGuard } from "../edge/pinned-guard.ts";
import { isUsableServer } from "../edge/usable-servers.ts";
import type { CompiledPolicy, Decision } from "../policy/access-policy.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { type SecretSource, secretsFromEnv } from "../upstream/egress.ts";

type PinSet = Parameters<typeof pinnedGuard>[1];

export interface ProxyRoute {
  server: ServerRecord;
  /** Policy and approved tools of this caller on this server; decisions are remembered. */
  guard: McpGuard;
  /** The egress secrets, or null when they are the caller's own (per-user egress, resolved per request). */
  secrets: SecretSource | null;
}

/** Where a route is built from (the composition root's services satisfy it). */
export interface RouteSources {
  directory: { byPathEntry(path: string): Promise<{ server: ServerRecord | null; until: number }> };
  access: { policyEntry(tenant: string): Promise<{ policy: CompiledPolicy; until: number }> };
  approvals: { pinsEntry(tenant: string, serverId: string): Promise<{ pins: PinSet; until: number }> };
  routeEpoch: { readonly value: number };
}

interface Entry {
  /** null: nothing the caller may use at this path. */
  route: ProxyRoute | null;
  /** The route epoch it was built at. */
  epoch: number;
  /** Epoch ms. */
  until: number;
}

/** Entries per isolate (per caller and path); the oldest go first. */
export const MAX_ROUTES = 5_000;
/** Decisions remembered per route (distinct method and tool names). */
const MAX_DECISIONS = 256;

const caches = new WeakMap<object, Map<string, Entry>>();
/** Keys being built by a request of this isolate, with when it started (per source set). */
const building = new WeakMap<object, Map<string, number>>();
/**
 * How many times a request looks for another's build before building itself
 * (counted in looks, not wall time, so a stalled event loop, which delays the
 * build and the looks alike, does not end the wait early): ~0.5 s of pauses.
 */
const MAX_LOOKS = 64;
/** The longest pause between two looks while waiting. */
const MAX_POLL_MS = 8;

/** The route of `principal` to `/{path}`, or null when there is no server it may use there. */
export async function proxyRouteFor(
  sources: RouteSources,
  env: object,
  principal: Principal,
  path: string,
): Promise<ProxyRoute | null> {
  let cache = caches.get(sources.routeEpoch);
  if (cache === undefined) {
    cache = new Map();
    caches.set(sources.routeEpoch, cache);
  }
  const key = routeKey(principal, path);
  const hit = usable(cache.get(key), sources);
  if (hit !== undefined) return hit.route;
  let builders = building.get(sources.routeEpoch);
  if (builders === undefined) {
    builders = new Map();
    building.set(sources.routeEpoch, builders);
  }
  // Looked up without a pause first: concurrent misses must see the build the first one started.
  if (builders.has(key)) {
    const waited = await builtByAnother(cache, builders, key, sources);
    if (waited !== undefined) return waited.route;
  }
  const epoch = sources.routeEpoch.value;
  const started = Date.now();
  builders.set(key, started);
  try {
    const { route, until } = await load(sources, env, principal, path);
    // Built at the epoch read before the load: a local write meanwhile leaves it void at once.
    cache.delete(key);
    cache.set(key, { route, epoch, until });
    if (cache.size > MAX_ROUTES) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return route;
  } finally {
    if (builders.get(key) === started) builders.delete(key);
  }
}

function usable(entry: Entry | undefined, sources: RouteSources): Entry | undefined {
  return entry !== undefined && entry.epoch === sources.routeEpoch.value && entry.until > Date.now()
    ? entry
    : undefined;
}

/**
 * While another request of this isolate builds `key`: the entry it stores,
 * looked for on this request's own timers; undefined when there is no such
 * build, it ended without a usable entry, or it is not done after MAX_LOOKS.
 */
async function builtByAnother(
  cache: Map<string, Entry>,
  builders: Map<string, number>,
  key: string,
  sources: RouteSources,
): Promise<Entry | undefined> {
  const since = builders.get(key);
  if (since === undefined) return undefined;
  for (let look = 0, pause = 1; look < MAX_LOOKS; look++, pause = Math.min(pause * 2, MAX_POLL_MS)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
    const entry = usable(cache.get(key), sources);
    if (entry !== undefined) return entry;
    if (builders.get(key) !== since) return undefined;
  }
  return undefined;
}

/** Forgets every cached route built from `sources` (tests). */
export function forgetProxyRoutes(sources: Pick<RouteSources, "routeEpoch">): void {
  caches.delete(sources.routeEpoch);
  building.delete(sources.routeEpoch);
}

/** How many routes are cached for `sources` (tests: the bound). */
export function cachedProxyRoutes(sources: Pick<RouteSources, "routeEpoch">): number {
  return caches.get(sources.routeEpoch)?.size ?? 0;
}

/**
 * Everything a decision or visibility depends on: the tenant and the
 * caller's identity, groups and scopes (for a gateway token the stored row's).
 */
function routeKey(principal: Principal, path: string): string {
  return JSON.stringify([
    principal.tenant,
    principal.issuer,
    principal.subject,
    principal.groups,
    principal.scopes,
    path,
  ]);
}

async function load(
  sources: RouteSources,
  env: object,
  principal: Principal,
  path: string,
): Promise<{ route: ProxyRoute | null; until: number }> {
  const found = await sources.directory.byPathEntry(path);
  const server = found.server;
  if (server === null || !isUsableServer(server, principal.tenant))
    return { route: null, until: found.until };
  const [policy, pins] = await Promise.all([
    sources.access.policyEntry(principal.tenant),
    sources.approvals.pinsEntry(server.tenant, server.id),
  ]);
  const until = Math.min(found.until, policy.until, pins.until);
  const access = mcpAccess(policy.policy, principal);
  // Visibility (registry/visibility.ts): a server the caller may not see is answered as absent.
  if (!access.sees(server)) return { route: null, until };
  const guard = rememberingDecisions(pinnedGuard(access.forServer(server.path), pins.pins));
  // Per-user egress: the caller's own token is resolved on each request (it is refreshed near expiry).
  const secrets = server.egress?.type === "oauth" ? null : secretsFromEnv(env);
  return { route: { server, guard, secrets }, until };
}

/** The guard with its decisions remembered by method and tool (the policy and the caller are fixed). */
function rememberingDecisions(guard: McpGuard): McpGuard {
  const decisions = new Map<string, Decision>();
  const decide = (method: string, tool?: string): Decision => {
    const key = tool === undefined ? method : `${method}\u0000${tool}`;
    let decision = decisions.get(key);
    if (decision === undefined) {
      decision = guard.decide(method, tool);
      if (decisions.size >= MAX_DECISIONS) decisions.clear();
      decisions.set(key, decision);
    }
    return decision;
  };
  const calls = new Map<string, boolean>();
  return {
    ...guard,
    decide,
    mayCall: (tool) => {
      let may = calls.get(tool);
      if (may === undefined) {
        may = guard.mayCall(tool);
        if (calls.size >= MAX_DECISIONS) calls.clear();
        calls.set(tool, may);
      }
      return may;
    },
  };
}
