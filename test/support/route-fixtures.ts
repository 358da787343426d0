// Fixtures shared by the tests of the two per-caller route caches
// (proxy/proxy-route.ts, aggregated/call-route.ts): the default scopes
// document compiled, two callers, and, against the real gateway, a server
// in a fresh tenant whose `callers` group is granted a list of tools.
import defaultScopesYaml from "../../config/scopes.yml";
import type { Principal } from "../../worker/auth/principal.ts";
import { compilePolicy } from "../../worker/policy/access-policy.ts";
import { parseScopesYaml } from "../../worker/policy/scopes-yaml.ts";
import { newReplica, type Replica } from "./fleet.ts";
import { apiAs, principal, uniqueTenant } from "./policy.ts";

const parsed = parseScopesYaml(defaultScopesYaml);
if (!parsed.ok) throw new Error("config/scopes.yml does not parse");
/** config/scopes.yml, compiled. */
export const defaultPolicy = compilePolicy(parsed.document);

/** An administrator of tenant-a (may use everything). */
export const routeAdmin: Principal = {
  tenant: "tenant-a",
  issuer: "https://idp.test",
  subject: "alice",
  groups: ["mcp-registry-admin"],
  scopes: [],
  kind: "user",
};
/** A caller of tenant-a in no group. */
export const routeStranger: Principal = { ...routeAdmin, subject: "mallory", groups: [] };

export interface GrantedServer {
  server: { path: string };
  replica: Replica;
  caller: Principal;
  /** Replaces the tenant's scopes document: `callers` may call `tools` on the server. */
  grant(tools: string[]): Promise<Response>;
}

/** A server on a new replica in a fresh tenant, registered by its admin; nothing granted yet. */
export async function serverForCallers(label: string): Promise<GrantedServer> {
  const tenant = uniqueTenant(label);
  const admin = principal({ tenant, groups: ["mcp-registry-admin"] });
  const caller = principal({ tenant, groups: ["callers"] });
  const replica = await newReplica();
  const registered = await apiAs(admin, "/api/v1/servers", {
    method: "POST",
    json: {
      name: `${label} test`,
      path: `${label}-${crypto.randomUUID().slice(0, 8)}`,
      endpoints: [{ url: replica.url, transport: "streamable-http" }],
      timeoutMs: 5_000,
    },
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const server = (await registered.json()) as { path: string };
  const grant = (tools: string[]) =>
    apiAs(admin, "/api/v1/scopes", {
      method: "PUT",
      json: {
        group_mappings: { "mcp-registry-admin": ["mcp-registry-admin"], callers: ["callers"] },
        ui_scopes: { "mcp-registry-admin": { manage_scopes: ["all"], register_service: ["all"] } },
        server_scopes: {
          callers: [{ server: server.path, methods: ["initialize", "ping", "tools/call"], tools }],
        },
      },
    });
  return { server, replica, caller, grant };
}
