// Admin changes go to the audit log, one event per change, from one
// middleware rather than a call in every route: a table of the REST routes
// that change gateway state (servers, agents, scopes, tokens, approvals,
// federation, virtual servers, the search index) says what each is called
// and how to read the target before the change. After the route ran, the
// event gets the actor, the target, the status, and a compact before/after
// diff of the target's fields (observability/audit-events.ts; secrets
// redacted). Refused attempts (403) are recorded too, without a diff;
// requests that never reached a decision (400/404/422) are not.
import type { MiddlewareHandler } from "hono";
import type { Principal } from "../auth/principal.ts";
import { adminEvent } from "../observability/audit-events.ts";
import type { Services } from "../services.ts";

type Loader = (services: Services, principal: Principal, id: string) => Promise<unknown>;

interface AdminRoute {
  method: string;
  /** Matched against the path below /api/v1; group 1 is the target id when there is one. */
  pattern: RegExp;
  /** `servers.update`; `{verb}` is replaced by the path's last segment (enable, approve, ...). */
  action: string;
  target: string;
  /** Reads the target before the change (for the diff). */
  before?: Loader;
}

const server: Loader = (services, principal, id) => services.store.getServer(principal.tenant, id);
const agent: Loader = (services, principal, id) => services.agents.get(principal, id);
const virtualServer: Loader = (services, principal, id) => services.virtualServers.get(principal, id);
const source: Loader = (services, principal, id) => services.federation.get(principal, id);
const scopes: Loader = (services, principal) => services.access.getDocument(principal);

const ID = "([^/]+)";

export const ADMIN_ROUTES: AdminRoute[] = [
  { method: "POST", pattern: /^\/servers$/, action: "servers.create", target: "server" },
  { method: "POST", pattern: /^\/servers\/import$/, action: "servers.import", target: "server" },
  {
    method: "PATCH",
    pattern: new RegExp(`^/servers/${ID}$`),
    action: "servers.update",
    target: "server",
    before: server,
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/servers/${ID}$`),
    action: "servers.delete",
    target: "server",
    before: server,
  },
  {
    method: "POST",
    pattern: new RegExp(`^/servers/${ID}/(?:enable|disable|refresh)$`),
    action: "servers.{verb}",
    target: "server",
    before: server,
  },
  { method: "POST", pattern: /^\/agents$/, action: "agents.create", target: "agent" },
  {
    method: "PUT",
    pattern: new RegExp(`^/agents/${ID}$`),
    action: "agents.replace",
    target: "agent",
    before: agent,
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^/agents/${ID}$`),
    action: "agents.update",
    target: "agent",
    before: agent,
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/agents/${ID}$`),
    action: "agents.delete",
    target: "agent",
    before: agent,
  },
  {
    method: "POST",
    pattern: new RegExp(`^/agents/${ID}/(?:enable|disable)$`),
    action: "agents.{verb}",
    target: "agent",
    before: agent,
  },
  { method: "PUT", pattern: /^\/scopes$/, action: "scopes.replace", target: "scopes", before: scopes },
  { method: "POST", pattern: /^\/tokens$/, action: "tokens.create", target: "token" },
  { method: "DELETE", pattern: new RegExp(`^/tokens/${ID}$`), action: "tokens.revoke", target: "token" },
  {
    method: "POST",
    pattern: new RegExp(`^/approvals/${ID}/(?:approve|reject)$`),
    action: "approvals.{verb}",
    target: "approval",
  },
  { method: "POST", pattern: /^\/federation\/sources$/, action: "federation.create", target: "source" },
  {
    method: "DELETE",
    pattern: new RegExp(`^/federation/sources/${ID}$`),
    action: "federation.delete",
    target: "source",
    before: source,
  },
  {
    method: "POST",
    pattern: new RegExp(`^/federation/sources/${ID}/sync$`),
    action: "federation.sync",
    target: "source",
  },
  {
    method: "POST",
    pattern: /^\/virtual-servers$/,
    action: "virtual-servers.create",
    target: "virtual-server",
  },
  {
    method: "PATCH",
    pattern: new RegExp(`^/virtual-servers/${ID}$`),
    action: "virtual-servers.update",
    target: "virtual-server",
    before: virtualServer,
  },
  {
    method: "DELETE",
    pattern: new RegExp(`^/virtual-servers/${ID}$`),
    action: "virtual-servers.delete",
    target: "virtual-server",
    before: virtualServer,
  },
  {
    method: "POST",
    pattern: new RegExp(`^/virtual-servers/${ID}/(?:enable|disable)$`),
    action: "virtual-servers.{verb}",
    target: "virtual-server",
    before: virtualServer,
  },
  { method: "POST", pattern: /^\/search\/reindex$/, action: "search.reindex", target: "search-index" },
];

/** Statuses that mean the change was decided (done, refused, or in conflict). */
function audited(status: number): boolean {
  return status < 300 || status === 403 || status === 409;
}

/** The middleware for the /api/v1 app (after authentication); `prefix` is stripped before matching. */
export function adminAudit(prefix = "/api/v1"): MiddlewareHandler<{ Bindings: Env }> {
  return async function adminAuditMiddleware(c, next) {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return next();
    const path = c.req.path.startsWith(prefix) ? c.req.path.slice(prefix.length) : c.req.path;
    const route = ADMIN_ROUTES.find((entry) => entry.method === method && entry.pattern.test(path));
    const principal = c.get("principal");
    if (!route || !principal) return next();
    const id = route.pattern.exec(path)?.[1] ?? null;
    const services = c.var.services;
    const before = route.before ? await route.before(services, principal, id ?? "").catch(() => null) : null;

    await next();

    const status = c.res.status;
    if (!audited(status)) return;
    const ok = status < 300;
    const after = ok && method !== "DELETE" ? await jsonBody(c.res) : null;
    const targetId = id ?? stringField(after, "id");
    const isServer = route.target === "server";
    const serverId = isServer ? targetId : stringField(after, "serverId");
    services.auditor.record(c.executionCtx, [
      adminEvent(principal, c.get("requestId") ?? "", {
        action: route.action.replace("{verb}", path.slice(path.lastIndexOf("/") + 1)),
        target: { type: route.target, id: targetId },
        serverId,
        serverPath: isServer ? (stringField(after, "path") ?? stringField(before, "path")) : null,
        tool: route.target === "approval" ? stringField(after, "key") : null,
        before: ok ? before : undefined,
        after: ok ? after : undefined,
        status,
      }),
    ]);
  };
}

async function jsonBody(response: Response): Promise<unknown> {
  if (!response.headers.get("content-type")?.includes("json")) return null;
  try {
    return await response.clone().json();
  } catch {
    return null;
  }
}

function stringField(value: unknown, key: string): string | null {
  if (value === null || typeof value !== "object") return null;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === "string" ? field : null;
}
