// The decision function against the default scopes file (config/scopes.yml,
// modelled on the seed's example: an admin and two line-of-business bots that
// may each see and call only their own servers, tools and agents). Every
// combination of principal x action x resource, principal x method x server,
// and principal x tool x server is asserted; the expectations below are
// written out by hand, not derived from the file.
import { describe, expect, it } from "vitest";
import defaultScopesYaml from "../../config/scopes.yml";
import type { Principal } from "../../worker/auth/principal.ts";
import {
  allowedResources,
  type CompiledPolicy,
  compilePolicy,
  type DecisionReason,
  decide,
  effectiveScopes,
  toolFilter,
} from "../../worker/policy/access-policy.ts";
import {
  AGENT_ACTIONS,
  GATEWAY_ACTIONS,
  type RegistryAction,
  type ScopesDocument,
  SERVER_ACTIONS,
} from "../../worker/policy/scopes-document.ts";
import { parseScopesYaml } from "../../worker/policy/scopes-yaml.ts";

function load(text: string): CompiledPolicy {
  const parsed = parseScopesYaml(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return compilePolicy(parsed.document);
}

const policy = load(defaultScopesYaml);

const who = (subject: string, groups: string[], scopes: string[] = []): Principal => ({
  subject,
  issuer: "https://idp.test",
  tenant: "default",
  groups,
  scopes,
  kind: "machine",
});

const PRINCIPALS = {
  admin: who("admin", ["mcp-registry-admin"]),
  finance: who("finance-bot", ["lob-finance-bot"]),
  support: who("support-bot", ["lob-support-bot"]),
  // The same scope carried by the token instead of conferred by a group.
  financeByScope: who("finance-token", [], ["lob-finance"]),
  // Groups and scopes the policy does not know.
  stranger: who("stranger", ["mcp-registry-admins", "lob-finance"], ["openid", "profile"]),
} as const;
type Who = keyof typeof PRINCIPALS;

// `github` and `github-admin` are distinct servers: exact matching.
const SERVERS = ["fininfo", "ledger", "tickets", "github", "github-admin", "kb", "demo"] as const;
const AGENTS = ["finance-analyst", "support-triage", "code-reviewer"] as const;

// --- Expectations, by hand -------------------------------------------------

type Grants = Partial<Record<RegistryAction, readonly string[]>>;
const EVERYTHING = "*";

const FINANCE_UI: Grants = {
  list_service: ["fininfo", "ledger"],
  health_check_service: ["fininfo", "ledger"],
  toggle_service: ["ledger"],
  list_agents: ["finance-analyst"],
  get_agent: ["finance-analyst"],
  modify_agent: ["finance-analyst"],
};
const SUPPORT_UI: Grants = {
  list_service: ["tickets", "github", "kb"],
  register_service: ["kb"],
  health_check_service: ["tickets", "kb"],
  toggle_service: ["kb"],
  modify_service: ["kb"],
  delete_service: ["kb"],
  list_agents: ["support-triage"],
  get_agent: ["support-triage"],
  publish_agent: ["support-triage"],
  modify_agent: ["support-triage"],
  delete_agent: ["support-triage"],
};
const UI: Record<Who, Grants | typeof EVERYTHING | null> = {
  admin: EVERYTHING,
  finance: FINANCE_UI,
  support: SUPPORT_UI,
  financeByScope: FINANCE_UI,
  stranger: null,
};

/** server -> methods allowed (tools/call is covered by the tools table). */
type Methods = Partial<Record<(typeof SERVERS)[number], readonly string[]>>;
const FINANCE_METHODS: Methods = {
  fininfo: ["initialize", "ping", "tools/list"],
  ledger: ["initialize", "ping", "tools/list", "resources/list", "resources/read"],
};
const SUPPORT_METHODS: Methods = {
  tickets: ["initialize", "ping", "tools/list"],
  github: ["initialize", "ping", "tools/list"],
  kb: ["initialize", "ping", "resources/list", "resources/read", "prompts/list", "prompts/get"],
};
const METHODS_TABLE: Record<Who, Methods | typeof EVERYTHING | null> = {
  admin: EVERYTHING,
  finance: FINANCE_METHODS,
  support: SUPPORT_METHODS,
  financeByScope: FINANCE_METHODS,
  stranger: null,
};
const METHODS = [
  "initialize",
  "ping",
  "tools/list",
  "resources/list",
  "resources/read",
  "prompts/list",
  "prompts/get",
  "completion/complete",
] as const;

const TOOLS = [
  "get_stock_aggregates",
  "get_stock_aggregates_admin",
  "print_stock_data",
  "post_entry",
  "delete_entry",
  "delete_draft_entry",
  "create_ticket",
  "get_ticket",
  "close_ticket",
  "delete_ticket",
  "search_issues",
  "search_issues_admin",
  "get_issue",
  "kb_search",
] as const;
const TOOL_SERVERS = ["fininfo", "ledger", "tickets", "github", "github-admin", "kb"] as const;
type ToolServer = (typeof TOOL_SERVERS)[number];

/** For each server the principal reaches: the outcome of tools/call per tool (default tool_not_granted). */
type ToolOutcomes = Partial<
  Record<ToolServer, Partial<Record<string, DecisionReason>> | "method_not_granted">
>;
const FINANCE_TOOLS: ToolOutcomes = {
  fininfo: { get_stock_aggregates: "granted", print_stock_data: "granted" },
  // tools: ["*"], but "*delete*" is denied to bots, except the priority-200 allow for drafts.
  ledger: Object.fromEntries(
    TOOLS.map((tool) => [
      tool,
      tool.includes("delete") && tool !== "delete_draft_entry" ? "denied_by_rule" : "granted",
    ]),
  ),
};
const SUPPORT_TOOLS: ToolOutcomes = {
  tickets: {
    create_ticket: "granted",
    get_ticket: "granted",
    close_ticket: "granted",
    delete_ticket: "denied_by_rule",
  },
  github: { search_issues: "granted", get_issue: "granted" },
  kb: "method_not_granted",
};
const TOOLS_TABLE: Record<Who, ToolOutcomes | typeof EVERYTHING | null> = {
  admin: EVERYTHING,
  finance: FINANCE_TOOLS,
  support: SUPPORT_TOOLS,
  financeByScope: FINANCE_TOOLS,
  stranger: null,
};

function expectedRegistry(name: Who, action: RegistryAction, resource: string | undefined): DecisionReason {
  const grants = UI[name];
  if (grants === null) return "no_scope";
  if (grants === EVERYTHING) return "granted";
  const names = grants[action];
  if (!names) return "action_not_granted";
  if (resource === undefined || names.includes(resource)) return "granted";
  return "resource_not_granted";
}

function expectedMethod(name: Who, server: string, method: string): DecisionReason {
  const table = METHODS_TABLE[name];
  if (table === null) return "no_scope";
  if (table === EVERYTHING) return "granted";
  const methods = table[server as keyof Methods];
  if (!methods) return "server_not_granted";
  return methods.includes(method) ? "granted" : "method_not_granted";
}

function expectedTool(name: Who, server: ToolServer, tool: string): DecisionReason {
  const table = TOOLS_TABLE[name];
  if (table === null) return "no_scope";
  if (table === EVERYTHING) return "granted";
  const outcomes = table[server];
  if (!outcomes) return "server_not_granted";
  if (outcomes === "method_not_granted") return outcomes;
  return outcomes[tool] ?? "tool_not_granted";
}

// --- The tables --------------------------------------------------------------

const NAMES = Object.keys(PRINCIPALS) as Who[];

const registryCases = NAMES.flatMap((name) => [
  ...SERVER_ACTIONS.flatMap((action) =>
    [...SERVERS, undefined].map((resource) => ({ name, action, resource }) as const),
  ),
  ...AGENT_ACTIONS.flatMap((action) =>
    [...AGENTS, undefined].map((resource) => ({ name, action, resource }) as const),
  ),
  ...GATEWAY_ACTIONS.map((action) => ({ name, action, resource: undefined }) as const),
]).map((entry) => ({ ...entry, expected: expectedRegistry(entry.name, entry.action, entry.resource) }));

const methodCases = NAMES.flatMap((name) =>
  SERVERS.flatMap((server) => METHODS.map((method) => ({ name, server, method }))),
).map((entry) => ({ ...entry, expected: expectedMethod(entry.name, entry.server, entry.method) }));

const toolCases = NAMES.flatMap((name) =>
  TOOL_SERVERS.flatMap((server) => TOOLS.map((tool) => ({ name, server, tool }))),
).map((entry) => ({ ...entry, expected: expectedTool(entry.name, entry.server, entry.tool) }));

describe("registry actions x servers/agents", () => {
  it.each(registryCases)(
    "$name: $action on $resource -> $expected",
    ({ name, action, resource, expected }) => {
      const decision = decide(policy, PRINCIPALS[name], { kind: "registry", action, resource });
      expect(decision.reason).toBe(expected);
      expect(decision.allow).toBe(expected === "granted");
    },
  );
});

describe("MCP methods x servers", () => {
  it.each(methodCases)("$name: $method on $server -> $expected", ({ name, server, method, expected }) => {
    const decision = decide(policy, PRINCIPALS[name], { kind: "mcp", server, method });
    expect(decision.reason).toBe(expected);
    expect(decision.allow).toBe(expected === "granted");
  });
});

describe("tools x servers (tools/call, and so tools/list filtering)", () => {
  it.each(toolCases)("$name: $tool on $server -> $expected", ({ name, server, tool, expected }) => {
    const principal = PRINCIPALS[name];
    const decision = decide(policy, principal, { kind: "mcp", server, method: "tools/call", tool });
    expect(decision.reason).toBe(expected);
    expect(decision.allow).toBe(expected === "granted");
    // The listing filter is the same decision.
    expect(toolFilter(policy, principal, server)(tool)).toBe(expected === "granted");
  });
});

describe("the tables", () => {
  it("cover every combination and both outcomes", () => {
    expect(registryCases).toHaveLength(NAMES.length * (6 * 8 + 5 * 4 + GATEWAY_ACTIONS.length));
    expect(methodCases).toHaveLength(NAMES.length * SERVERS.length * METHODS.length);
    expect(toolCases).toHaveLength(NAMES.length * TOOL_SERVERS.length * TOOLS.length);
    const reasons = new Set([...registryCases, ...methodCases, ...toolCases].map((entry) => entry.expected));
    expect([...reasons].sort()).toEqual(
      [
        "granted",
        "no_scope",
        "action_not_granted",
        "resource_not_granted",
        "server_not_granted",
        "method_not_granted",
        "tool_not_granted",
        "denied_by_rule",
      ].sort(),
    );
  });
});

// --- Semantics, one at a time ---------------------------------------------------

function compile(document: Partial<ScopesDocument> & Record<string, unknown>): CompiledPolicy {
  const parsed = parseScopesYaml(JSON.stringify(document));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return compilePolicy(parsed.document);
}

const bot = who("bot", ["bots"]);

describe("exact names and explicit wildcards", () => {
  const exact = compile({
    group_mappings: { bots: ["bot"] },
    ui_scopes: { bot: { list_service: ["github"] } },
    server_scopes: { bot: [{ server: "github", methods: ["tools/call"], tools: ["search"] }] },
  });

  it("never matches a name by prefix, suffix or case", () => {
    for (const resource of ["github-admin", "githu", "GitHub", "github_admin", "/github", " github"]) {
      expect(decide(exact, bot, { kind: "registry", action: "list_service", resource }).allow).toBe(false);
      const call = decide(exact, bot, {
        kind: "mcp",
        server: resource,
        method: "tools/call",
        tool: "search",
      });
      expect(call.reason).toBe("server_not_granted");
    }
    for (const tool of ["search_admin", "searc", "Search", "search "]) {
      expect(decide(exact, bot, { kind: "mcp", server: "github", method: "tools/call", tool }).reason).toBe(
        "tool_not_granted",
      );
    }
    expect(
      decide(exact, bot, { kind: "mcp", server: "github", method: "tools/call", tool: "search" }).allow,
    ).toBe(true);
  });

  it("treats a server called * or all in a request as a name, not a wildcard", () => {
    expect(decide(exact, bot, { kind: "registry", action: "list_service", resource: "all" }).allow).toBe(
      false,
    );
    expect(decide(exact, bot, { kind: "mcp", server: "*", method: "tools/call", tool: "search" }).allow).toBe(
      false,
    );
    expect(decide(exact, bot, { kind: "mcp", server: "github", method: "*" }).reason).toBe(
      "method_not_granted",
    );
  });

  it("normalises seed-style /paths in the document only", () => {
    const seedStyle = compile({
      group_mappings: { bots: ["bot"] },
      ui_scopes: { bot: { list_service: ["/fininfo"] } },
      server_scopes: { bot: [{ server: "/fininfo", methods: ["initialize"] }] },
    });
    expect(seedStyle.document.ui_scopes.bot?.list_service).toEqual(["fininfo"]);
    expect(
      decide(seedStyle, bot, { kind: "registry", action: "list_service", resource: "fininfo" }).allow,
    ).toBe(true);
    expect(decide(seedStyle, bot, { kind: "mcp", server: "fininfo", method: "initialize" }).allow).toBe(true);
  });

  it("grants every server, method or tool only through a written *", () => {
    const wide = compile({
      group_mappings: { bots: ["bot"] },
      server_scopes: {
        bot: [
          { server: "*", methods: ["initialize"] },
          { server: "one", methods: ["*"], tools: ["*"] },
        ],
      },
    });
    expect(decide(wide, bot, { kind: "mcp", server: "anything", method: "initialize" }).allow).toBe(true);
    expect(decide(wide, bot, { kind: "mcp", server: "anything", method: "tools/list" }).reason).toBe(
      "method_not_granted",
    );
    expect(decide(wide, bot, { kind: "mcp", server: "one", method: "sampling/whatever" }).allow).toBe(true);
    expect(decide(wide, bot, { kind: "mcp", server: "one", method: "tools/call", tool: "x" }).allow).toBe(
      true,
    );
  });
});

describe("tool grants", () => {
  const split = compile({
    group_mappings: { bots: ["bot"] },
    server_scopes: {
      bot: [
        // Listing is a method grant; calling is granted per tool, by a second entry.
        { server: "fininfo", methods: ["tools/list"] },
        { server: "fininfo", methods: ["tools/call"], tools: ["get_stock_aggregates"] },
      ],
    },
  });

  it("needs the method and the tool in the same entry", () => {
    expect(decide(split, bot, { kind: "mcp", server: "fininfo", method: "tools/list" }).allow).toBe(true);
    expect(
      decide(split, bot, {
        kind: "mcp",
        server: "fininfo",
        method: "tools/call",
        tool: "get_stock_aggregates",
      }).allow,
    ).toBe(true);
    expect(
      decide(split, bot, { kind: "mcp", server: "fininfo", method: "tools/call", tool: "print_stock_data" })
        .reason,
    ).toBe("tool_not_granted");
  });

  it("refuses tools/call that names no tool", () => {
    expect(decide(split, bot, { kind: "mcp", server: "fininfo", method: "tools/call" }).reason).toBe(
      "tool_not_granted",
    );
  });

  it("filters a listing down to the callable tools", () => {
    const mayCall = toolFilter(split, bot, "fininfo");
    expect(["get_stock_aggregates", "print_stock_data", "get_stock_aggregates_v2"].filter(mayCall)).toEqual([
      "get_stock_aggregates",
    ]);
  });
});

describe("tool rules", () => {
  const base = {
    group_mappings: { bots: ["bot"], admins: ["admin"] },
    server_scopes: {
      bot: [{ server: "db", methods: ["tools/call"], tools: ["*"] }],
      admin: [{ server: "*", methods: ["tools/call"], tools: ["*"] }],
    },
  };
  const admin = who("root", ["admins"]);
  const call = (p: CompiledPolicy, principal: Principal, tool: string, server = "db") =>
    decide(p, principal, { kind: "mcp", server, method: "tools/call", tool });

  it("a deny overrides an allow granted by scopes, for everyone unless restricted", () => {
    const p = compile({ ...base, tool_rules: [{ pattern: "drop_*", action: "deny", priority: 10 }] });
    expect(call(p, bot, "drop_table").reason).toBe("denied_by_rule");
    expect(call(p, admin, "drop_table").reason).toBe("denied_by_rule");
    expect(call(p, bot, "select_rows").allow).toBe(true);
    expect(call(p, bot, "xdrop_table").allow).toBe(true);
  });

  it("honours the servers and scopes a rule is limited to", () => {
    const p = compile({
      ...base,
      tool_rules: [{ pattern: "*", action: "deny", priority: 1, servers: ["db"], scopes: ["bot"] }],
    });
    expect(call(p, bot, "anything").reason).toBe("denied_by_rule");
    expect(call(p, admin, "anything").allow).toBe(true);
    expect(call(p, admin, "anything", "other").allow).toBe(true);
  });

  it("lets the highest priority decide; deny wins a tie", () => {
    const exception = compile({
      ...base,
      tool_rules: [
        { pattern: "delete_*", action: "deny", priority: 100 },
        { pattern: "delete_draft", action: "allow", priority: 200 },
      ],
    });
    expect(call(exception, bot, "delete_draft").allow).toBe(true);
    expect(call(exception, bot, "delete_table").reason).toBe("denied_by_rule");

    const overruled = compile({
      ...base,
      tool_rules: [
        { pattern: "delete_draft", action: "allow", priority: 100 },
        { pattern: "delete_*", action: "deny", priority: 200 },
      ],
    });
    expect(call(overruled, bot, "delete_draft").reason).toBe("denied_by_rule");

    const tie = compile({
      ...base,
      tool_rules: [
        { pattern: "delete_draft", action: "allow", priority: 100 },
        { pattern: "delete_*", action: "deny", priority: 100 },
      ],
    });
    expect(call(tie, bot, "delete_draft").reason).toBe("denied_by_rule");
  });

  it("an allow rule never grants by itself", () => {
    const p = compile({ ...base, tool_rules: [{ pattern: "*", action: "allow", priority: 1 }] });
    expect(call(p, bot, "x", "elsewhere").reason).toBe("server_not_granted");
    expect(call(p, who("nobody", []), "x").reason).toBe("no_scope");
  });

  it("matches globs literally apart from * and ?", () => {
    const p = compile({
      ...base,
      tool_rules: [
        { pattern: "get.secret", action: "deny", priority: 1 },
        { pattern: "v?_drop", action: "deny", priority: 1 },
      ],
    });
    expect(call(p, bot, "get.secret").reason).toBe("denied_by_rule");
    expect(call(p, bot, "getXsecret").allow).toBe(true);
    expect(call(p, bot, "v2_drop").reason).toBe("denied_by_rule");
    expect(call(p, bot, "v22_drop").allow).toBe(true);
  });

  it("does not apply to requests without a tool", () => {
    const p = compile({
      group_mappings: { bots: ["bot"] },
      server_scopes: { bot: [{ server: "db", methods: ["tools/list"] }] },
      tool_rules: [{ pattern: "*", action: "deny", priority: 1 }],
    });
    expect(decide(p, bot, { kind: "mcp", server: "db", method: "tools/list" }).allow).toBe(true);
  });
});

describe("scopes of a principal", () => {
  it("are its groups mapped through group_mappings plus the scopes it holds", () => {
    const principal = who("x", ["lob-finance-bot", "unknown"], ["lob-support", "openid", "lob-finance"]);
    expect(effectiveScopes(policy, principal).sort()).toEqual(["lob-finance", "lob-support", "openid"]);
  });

  it("combine: one scope's grant is enough", () => {
    const both = who("x", ["lob-finance-bot", "lob-support-bot"]);
    expect(decide(policy, both, { kind: "registry", action: "list_service", resource: "kb" }).allow).toBe(
      true,
    );
    expect(decide(policy, both, { kind: "registry", action: "list_service", resource: "ledger" }).allow).toBe(
      true,
    );
  });

  it("give the finite list of visible servers, or all", () => {
    expect(allowedResources(policy, PRINCIPALS.admin, "list_service")).toEqual({ all: true });
    expect(allowedResources(policy, PRINCIPALS.finance, "list_service")).toEqual({
      all: false,
      names: ["fininfo", "ledger"],
    });
    expect(allowedResources(policy, PRINCIPALS.support, "delete_service")).toEqual({
      all: false,
      names: ["kb"],
    });
    expect(allowedResources(policy, PRINCIPALS.stranger, "list_service")).toEqual({ all: false, names: [] });
  });
});

describe("decisions", () => {
  it("keep internals in the detail, not in the reason", () => {
    const decision = decide(policy, PRINCIPALS.finance, {
      kind: "mcp",
      server: "ledger",
      method: "tools/call",
      tool: "delete_entry",
    });
    expect(decision).toMatchObject({ allow: false, reason: "denied_by_rule" });
    expect(decision.detail).toContain("*delete*");
    expect(decision.detail).toContain("finance-bot");
  });

  it("deny an empty policy everything", () => {
    const empty = compile({});
    expect(decide(empty, PRINCIPALS.admin, { kind: "registry", action: "manage_scopes" }).reason).toBe(
      "no_scope",
    );
    expect(decide(empty, PRINCIPALS.admin, { kind: "mcp", server: "x", method: "initialize" }).allow).toBe(
      false,
    );
  });
});
