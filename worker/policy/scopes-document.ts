// The scopes document: who may do what, as data. This module defines its shape
// (a zod schema, which also normalises names) and turns validation failures
// into field errors. Pure: no I/O. Decisions are made in access-policy.ts.
import { z } from "zod";

/** Registry actions on MCP servers; the resource is the server's path slug. */
export const SERVER_ACTIONS = [
  "list_service",
  "register_service",
  "health_check_service",
  "toggle_service",
  "modify_service",
  "delete_service",
] as const;
/** Registry actions on A2A agents; the resource is the agent's path slug. */
export const AGENT_ACTIONS = [
  "list_agents",
  "get_agent",
  "publish_agent",
  "modify_agent",
  "delete_agent",
] as const;
/** Gateway administration; these have no resource, so only `[all]` is meaningful. */
export const GATEWAY_ACTIONS = ["manage_scopes", "view_audit", "view_metrics", "manage_federation"] as const;
export const REGISTRY_ACTIONS = [...SERVER_ACTIONS, ...AGENT_ACTIONS, ...GATEWAY_ACTIONS] as const;
export type RegistryAction = (typeof REGISTRY_ACTIONS)[number];

/** The keyword for "every server/agent" in a UI scope. Server paths may not be `all`. */
export const ALL = "all";
/** The explicit wildcard in server scopes (server, methods, tools). Never implied. */
export const ANY = "*";

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const SLUG_MESSAGE = "a path slug: 1-64 lowercase letters, digits and inner hyphens";
const SCOPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const METHOD = /^[a-z][A-Za-z0-9_]*(?:\/[A-Za-z0-9_]+)*$/;
const TOOL = /^[A-Za-z0-9_./-]{1,128}$/;
const GLOB = /^[A-Za-z0-9_./*?-]{1,128}$/;
// Groups come from identity providers (Keycloak paths, Entra object ids, ...),
// so anything printable is accepted.
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const GROUP = /^[^\u0000-\u001f\u007f]{1,256}$/;

/**
 * Seed-style files write servers and agents as `/fininfo`; paths in this
 * gateway are bare slugs, so one leading slash is dropped before matching.
 */
function stripLeadingSlash(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}

const ScopeName = z.string().regex(SCOPE_NAME, "a scope name: letters, digits and . _ : / - (at most 128)");
const GroupName = z.string().regex(GROUP, "a group name: 1-256 printable characters");
const Slug = z.string().transform(stripLeadingSlash).pipe(z.string().regex(SLUG, SLUG_MESSAGE));

/** A list that is either exactly the wildcard or only names; names are de-duplicated. */
function nameList(item: z.ZodType<string>, wildcard: string, what: string) {
  return z
    .array(item)
    .min(1, `list at least one ${what}, or ["${wildcard}"]`)
    .max(1000)
    .superRefine((names, ctx) => {
      if (names.includes(wildcard) && names.length > 1) {
        ctx.addIssue({ code: "custom", message: `"${wildcard}" cannot be combined with named ${what}s` });
      }
    })
    .transform((names) => [...new Set(names)]);
}

const ResourceRef = z.union([z.literal(ALL), Slug], { error: `"${ALL}" or ${SLUG_MESSAGE}` });
const ServerRef = z.union([z.literal(ANY), Slug], { error: `"${ANY}" or ${SLUG_MESSAGE}` });
const MethodRef = z.union([z.literal(ANY), z.string().regex(METHOD)], {
  error: `"${ANY}" or an MCP method name such as tools/call`,
});
const ToolRef = z.union([z.literal(ANY), z.string().regex(TOOL)], {
  error: `"${ANY}" or a tool name (letters, digits and _ . / -, at most 128)`,
});

const GatewayResources = z
  .array(z.literal(ALL, { error: `gateway actions take no named entries: write ["${ALL}"]` }))
  .min(1)
  .transform(() => [ALL]);

// Every action is optional; an unknown action is refused by name.
const uiScopeShape = {} as Record<RegistryAction, z.ZodOptional<z.ZodType<string[]>>>;
for (const action of [...SERVER_ACTIONS, ...AGENT_ACTIONS]) {
  uiScopeShape[action] = nameList(ResourceRef, ALL, "entry").optional();
}
for (const action of GATEWAY_ACTIONS) uiScopeShape[action] = GatewayResources.optional();
const UiScope = z.strictObject(uiScopeShape);

const ServerGrant = z
  .strictObject({
    server: ServerRef,
    methods: nameList(MethodRef, ANY, "method"),
    tools: nameList(ToolRef, ANY, "tool").optional(),
  })
  .superRefine((grant, ctx) => {
    const callsTools = grant.methods.includes(ANY) || grant.methods.includes("tools/call");
    if (callsTools && grant.tools === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["tools"],
        message: `required when the methods include tools/call: list the tools, or ["${ANY}"] for every tool`,
      });
    }
  });

const ToolRule = z.strictObject({
  description: z.string().max(200).optional(),
  pattern: z
    .string()
    .regex(GLOB, "a tool-name glob: letters, digits, _ . / - and the wildcards * (any run) and ? (one)"),
  action: z.enum(["deny", "allow"]),
  priority: z.int().min(0).max(1_000_000),
  /** Servers the rule covers; omitted means every server. */
  servers: nameList(ServerRef, ANY, "server").optional(),
  /** Only principals holding one of these scopes are affected; omitted means everyone. */
  scopes: z.array(ScopeName).min(1).optional(),
});

export const ScopesDocumentSchema = z
  .strictObject({
    group_mappings: z.record(GroupName, z.array(ScopeName).min(1)).default({}),
    ui_scopes: z.record(ScopeName, UiScope).default({}),
    server_scopes: z.record(ScopeName, z.array(ServerGrant).max(1000)).default({}),
    tool_rules: z.array(ToolRule).max(1000).default([]),
  })
  .meta({
    id: "ScopesDocument",
    description:
      "Scopes configuration: group_mappings (group -> scopes), ui_scopes (scope -> registry action -> [all] or names), server_scopes (scope -> [{server, methods, tools}]), tool_rules (deny/allow by tool-name glob with priority).",
  });

export type ScopesDocument = z.output<typeof ScopesDocumentSchema>;
export type ServerGrantSpec = z.output<typeof ServerGrant>;
export type ToolRuleSpec = z.output<typeof ToolRule>;

/** One problem in a scopes document; `path` locates it, `line` is added for YAML/JSON text. */
export interface ScopesIssue {
  path: (string | number)[];
  message: string;
}

export type ValidationResult = { ok: true; document: ScopesDocument } | { ok: false; issues: ScopesIssue[] };

export function validateScopesDocument(value: unknown): ValidationResult {
  const result = ScopesDocumentSchema.safeParse(value);
  // Checked on the raw value so that it is reported together with any other
  // problem (zod skips refinements of an object whose fields failed).
  const crossIssues = undefinedScopes(value);
  if (result.success && crossIssues.length === 0) return { ok: true, document: result.data };
  const issues = result.success ? [] : result.error.issues.flatMap(toScopesIssues);
  return { ok: false, issues: [...issues, ...crossIssues] };
}

/** A scope that is mapped but defined nowhere is almost always a typo. */
function undefinedScopes(value: unknown): ScopesIssue[] {
  if (!isRecord(value) || !isRecord(value.group_mappings)) return [];
  const defined = new Set([
    ...Object.keys(isRecord(value.ui_scopes) ? value.ui_scopes : {}),
    ...Object.keys(isRecord(value.server_scopes) ? value.server_scopes : {}),
  ]);
  const issues: ScopesIssue[] = [];
  for (const [group, scopes] of Object.entries(value.group_mappings)) {
    if (!Array.isArray(scopes)) continue;
    scopes.forEach((scope: unknown, index) => {
      if (typeof scope === "string" && !defined.has(scope)) {
        issues.push({
          path: ["group_mappings", group, index],
          message: `scope "${scope}" is not defined in ui_scopes or server_scopes`,
        });
      }
    });
  }
  return issues;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function toScopesIssues(issue: z.core.$ZodIssue): ScopesIssue[] {
  const path = issue.path.filter((segment): segment is string | number => typeof segment !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const inUiScope = path.length === 2 && path[0] === "ui_scopes";
    return issue.keys.map((key) => ({
      path: [...path, key],
      message: inUiScope ? `unknown action; expected one of ${REGISTRY_ACTIONS.join(", ")}` : "unknown field",
    }));
  }
  if (issue.code === "invalid_key") {
    return [{ path, message: issue.issues[0]?.message ?? issue.message }];
  }
  return [{ path, message: issue.message }];
}

export function fieldName(path: (string | number)[]): string {
  return path.join(".");
}
