// The one decision function: may this principal do this? Pure and synchronous:
// a validated scopes document is compiled once into lookup tables, and every
// route (REST, per-server proxy, aggregated /mcp, tools/list filtering, search
// results) asks `decide`. Default deny; names match exactly; wildcards only
// where the document writes them.
import type { Principal } from "../auth/principal.ts";
import { ALL, ANY, type RegistryAction, type ScopesDocument } from "./scopes-document.ts";

export type { RegistryAction } from "./scopes-document.ts";

export type AccessRequest =
  /** `resource` is a server or agent path slug; omitted asks about the action in general. */
  | { kind: "registry"; action: RegistryAction; resource?: string }
  /** `server` is the server's path slug; `tool` is required for tools/call. */
  | { kind: "mcp"; server: string; method: string; tool?: string };

/** Public reason classes: stable, safe to show, free of policy internals. */
export type DecisionReason =
  | "granted"
  | "no_scope"
  | "action_not_granted"
  | "resource_not_granted"
  | "server_not_granted"
  | "method_not_granted"
  | "tool_not_granted"
  | "denied_by_rule";

export interface Decision {
  allow: boolean;
  reason: DecisionReason;
  /** Internal detail (which scope or rule decided) for logs and audit only; never sent to clients. */
  detail: string;
}

/** What a principal may do an action on: everything, or a finite set of names. */
export type ResourceGrant = { all: true } | { all: false; names: string[] };

interface ResourceSet {
  all: boolean;
  names: ReadonlySet<string>;
}

interface CompiledGrant {
  scope: string;
  allMethods: boolean;
  methods: ReadonlySet<string>;
  allTools: boolean;
  tools: ReadonlySet<string>;
}

interface ServerGrants {
  /** Grants that name the server exactly. */
  byServer: ReadonlyMap<string, CompiledGrant[]>;
  /** Grants written with `server: "*"`. */
  anyServer: CompiledGrant[];
}

interface CompiledRule {
  index: number;
  pattern: string;
  matcher: RegExp;
  deny: boolean;
  priority: number;
  /** null: every server. */
  servers: ReadonlySet<string> | null;
  /** null: every principal. */
  scopes: ReadonlySet<string> | null;
}

/** A scopes document compiled for fast decisions. Treat as immutable. */
export interface CompiledPolicy {
  readonly document: ScopesDocument;
  readonly groupScopes: ReadonlyMap<string, readonly string[]>;
  readonly uiScopes: ReadonlyMap<string, ReadonlyMap<RegistryAction, ResourceSet>>;
  readonly serverGrants: ReadonlyMap<string, ServerGrants>;
  /** Highest priority first; at equal priority, deny before allow. */
  readonly rules: readonly CompiledRule[];
  /** Scopes that the document defines (in ui_scopes or server_scopes). */
  readonly knownScopes: ReadonlySet<string>;
}

export function compilePolicy(document: ScopesDocument): CompiledPolicy {
  const groupScopes = new Map(Object.entries(document.group_mappings));

  const uiScopes = new Map<string, Map<RegistryAction, ResourceSet>>();
  for (const [scope, actions] of Object.entries(document.ui_scopes)) {
    const compiled = new Map<RegistryAction, ResourceSet>();
    for (const [action, names] of Object.entries(actions) as [RegistryAction, string[] | undefined][]) {
      if (!names) continue;
      compiled.set(action, {
        all: names.includes(ALL),
        names: new Set(names.filter((name) => name !== ALL)),
      });
    }
    uiScopes.set(scope, compiled);
  }

  const serverGrants = new Map<string, ServerGrants>();
  for (const [scope, grants] of Object.entries(document.server_scopes)) {
    const byServer = new Map<string, CompiledGrant[]>();
    const anyServer: CompiledGrant[] = [];
    for (const grant of grants) {
      const compiled: CompiledGrant = {
        scope,
        allMethods: grant.methods.includes(ANY),
        methods: new Set(grant.methods),
        allTools: grant.tools?.includes(ANY) ?? false,
        tools: new Set(grant.tools ?? []),
      };
      if (grant.server === ANY) {
        anyServer.push(compiled);
      } else {
        byServer.set(grant.server, [...(byServer.get(grant.server) ?? []), compiled]);
      }
    }
    serverGrants.set(scope, { byServer, anyServer });
  }

  const rules = document.tool_rules
    .map<CompiledRule>((rule, index) => ({
      index,
      pattern: rule.pattern,
      matcher: globToRegExp(rule.pattern),
      deny: rule.action === "deny",
      priority: rule.priority,
      servers: rule.servers && !rule.servers.includes(ANY) ? new Set(rule.servers) : null,
      scopes: rule.scopes ? new Set(rule.scopes) : null,
    }))
    .sort((a, b) => b.priority - a.priority || Number(b.deny) - Number(a.deny) || a.index - b.index);

  const knownScopes = new Set([...uiScopes.keys(), ...serverGrants.keys()]);
  return { document, groupScopes, uiScopes, serverGrants, rules, knownScopes };
}

/** The principal's groups mapped through group_mappings, plus the scopes it holds directly. */
export function effectiveScopes(policy: CompiledPolicy, principal: Principal): string[] {
  const scopes = new Set<string>();
  for (const group of principal.groups) {
    for (const scope of policy.groupScopes.get(group) ?? []) scopes.add(scope);
  }
  for (const scope of principal.scopes) scopes.add(scope);
  return [...scopes];
}

export function decide(policy: CompiledPolicy, principal: Principal, request: AccessRequest): Decision {
  const scopes = effectiveScopes(policy, principal);
  const known = scopes.filter((scope) => policy.knownScopes.has(scope));
  const who = `subject "${principal.subject}" (${principal.issuer}) with scopes [${known.join(", ")}]`;
  if (known.length === 0) {
    return deny("no_scope", `subject "${principal.subject}" holds no scope defined in the policy`);
  }
  return request.kind === "registry"
    ? decideRegistry(policy, known, who, request)
    : decideMcp(policy, scopes, known, who, request);
}

function decideRegistry(
  policy: CompiledPolicy,
  known: string[],
  who: string,
  request: Extract<AccessRequest, { kind: "registry" }>,
): Decision {
  const { action, resource } = request;
  const target = resource === undefined ? action : `${action} on "${resource}"`;
  let actionGranted = false;
  for (const scope of known) {
    const set = policy.uiScopes.get(scope)?.get(action);
    if (!set) continue;
    actionGranted = true;
    if (set.all) return allow(`scope "${scope}" grants ${action} on all`);
    if (resource === undefined) return allow(`scope "${scope}" grants ${action} on named entries`);
    if (set.names.has(resource)) return allow(`scope "${scope}" grants ${target}`);
  }
  if (!actionGranted) return deny("action_not_granted", `${who}: no scope grants ${action}`);
  return deny("resource_not_granted", `${who}: ${action} is granted, but not on "${resource}"`);
}

function decideMcp(
  policy: CompiledPolicy,
  scopes: string[],
  known: string[],
  who: string,
  request: Extract<AccessRequest, { kind: "mcp" }>,
): Decision {
  const { server, method, tool } = request;
  const grants = known.flatMap((scope) => {
    const entry = policy.serverGrants.get(scope);
    return entry ? [...(entry.byServer.get(server) ?? []), ...entry.anyServer] : [];
  });
  if (grants.length === 0) return deny("server_not_granted", `${who}: no grant names server "${server}"`);

  const withMethod = grants.filter((grant) => grant.allMethods || grant.methods.has(method));
  if (withMethod.length === 0) {
    return deny("method_not_granted", `${who}: no grant allows ${method} on "${server}"`);
  }

  // tools/call always names a tool; other methods are checked for a tool only when one is given.
  if (tool === undefined && method !== "tools/call") {
    return allow(`scope "${withMethod[0]?.scope}" allows ${method} on "${server}"`);
  }
  if (tool === undefined) return deny("tool_not_granted", `${who}: ${method} on "${server}" names no tool`);
  const withTool = withMethod.find((grant) => grant.allTools || grant.tools.has(tool));
  if (!withTool) {
    return deny(
      "tool_not_granted",
      `${who}: ${method} on "${server}" is allowed, but not for tool "${tool}"`,
    );
  }

  const rule = policy.rules.find((candidate) => ruleApplies(candidate, scopes, server, tool));
  if (rule?.deny) {
    return deny(
      "denied_by_rule",
      `${who}: tool_rules[${rule.index}] "${rule.pattern}" (priority ${rule.priority}) denies "${tool}" on "${server}"`,
    );
  }
  const exception = rule ? ` (tool_rules[${rule.index}] allows it over lower-priority denials)` : "";
  return allow(`scope "${withTool.scope}" allows ${method} of "${tool}" on "${server}"${exception}`);
}

function ruleApplies(rule: CompiledRule, scopes: string[], server: string, tool: string): boolean {
  if (rule.servers && !rule.servers.has(server)) return false;
  if (rule.scopes && !scopes.some((scope) => rule.scopes?.has(scope))) return false;
  return rule.matcher.test(tool);
}

/**
 * The tools/list and search filter: a tool is shown exactly when calling it
 * would be allowed. Computes nothing per tool beyond `decide` itself.
 */
export function toolFilter(policy: CompiledPolicy, principal: Principal, server: string) {
  return function mayCall(tool: string): boolean {
    return decide(policy, principal, { kind: "mcp", server, method: "tools/call", tool }).allow;
  };
}

/**
 * The servers or agents on which the principal may do `action`: used to
 * filter listings inside the store query, so pages are cut after filtering.
 */
export function allowedResources(
  policy: CompiledPolicy,
  principal: Principal,
  action: RegistryAction,
): ResourceGrant {
  const names = new Set<string>();
  for (const scope of effectiveScopes(policy, principal)) {
    const set = policy.uiScopes.get(scope)?.get(action);
    if (!set) continue;
    if (set.all) return { all: true };
    for (const name of set.names) names.add(name);
  }
  return { all: false, names: [...names].sort() };
}

/** `*` matches any run of characters (including none), `?` exactly one; the rest is literal. */
function globToRegExp(glob: string): RegExp {
  let source = "";
  for (const char of glob) {
    if (char === "*") source += ".*";
    else if (char === "?") source += ".";
    else source += char.replace(/[.+^${}()|[\]\\/-]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, "s");
}

function allow(detail: string): Decision {
  return { allow: true, reason: "granted", detail };
}

function deny(reason: Exclude<DecisionReason, "granted">, detail: string): Decision {
  return { allow: false, reason, detail };
}
