// Reading scopes documents: the default file is valid, every mistake is named
// by field (and line, for text), and the export reads back to the same document.
import { describe, expect, it } from "vitest";
import defaultScopesYaml from "../../config/scopes.yml";
import { validateScopesDocument } from "../../worker/policy/scopes-document.ts";
import { locateIssues, parseScopesYaml, scopesToYaml } from "../../worker/policy/scopes-yaml.ts";

function errorsOf(text: string) {
  const parsed = parseScopesYaml(text);
  if (parsed.ok) throw new Error("expected the document to be refused");
  return parsed.errors;
}

const minimal = `group_mappings:
  bots: [bot]
server_scopes:
  bot:
    - server: fininfo
      methods: [initialize]
`;

describe("the default scopes file", () => {
  it("is valid and maps the admin group to manage_scopes on all", () => {
    const parsed = parseScopesYaml(defaultScopesYaml);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.document.group_mappings["mcp-registry-admin"]).toContain("mcp-registry-admin");
    expect(parsed.document.ui_scopes["mcp-registry-admin"]?.manage_scopes).toEqual(["all"]);
  });

  it("exports to YAML that reads back to the same document", () => {
    const parsed = parseScopesYaml(defaultScopesYaml);
    if (!parsed.ok) throw new Error("default invalid");
    const exported = scopesToYaml(parsed.document, ["revision 1"]);
    expect(exported.startsWith("# revision 1\n")).toBe(true);
    const again = parseScopesYaml(exported);
    expect(again.ok && again.document).toEqual(parsed.document);
  });
});

describe("syntax", () => {
  it("names the line of a YAML syntax error", () => {
    const errors = errorsOf("group_mappings:\n  bots: [bot\nui_scopes: {}\n");
    expect(errors[0]?.field).toBe("");
    expect(errors[0]?.message).toMatch(/^not valid YAML/);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it("refuses duplicate keys", () => {
    const errors = errorsOf("group_mappings: {}\ngroup_mappings: {}\n");
    expect(errors[0]?.line).toBe(2);
  });

  it("refuses aliases (no entity expansion)", () => {
    const errors = errorsOf("group_mappings:\n  a: &x [bot]\n  b: *x\nserver_scopes:\n  bot: []\n");
    expect(errors[0]?.message).toMatch(/alias/);
  });

  it("refuses more than one YAML document", () => {
    expect(errorsOf("group_mappings: {}\n---\ngroup_mappings: {}\n")[0]?.field).toBe("");
  });

  it("refuses a document that is not a mapping", () => {
    expect(errorsOf("- a\n- b\n")[0]?.field).toBe("");
  });
});

describe("fields", () => {
  it("names an unknown action with its line and the actions that exist", () => {
    const errors = errorsOf(`ui_scopes:
  bot:
    list_service: [all]
    list_servicez: [all]
`);
    expect(errors).toEqual([
      {
        field: "ui_scopes.bot.list_servicez",
        line: 4,
        message: expect.stringMatching(/^unknown action; expected one of list_service/),
      },
    ]);
  });

  it("names an unknown top-level section", () => {
    expect(errorsOf(`${minimal}UI-Scopes: {}\n`)).toEqual([
      { field: "UI-Scopes", line: 7, message: "unknown field" },
    ]);
  });

  it("requires tools when a grant includes tools/call", () => {
    const errors = errorsOf(`group_mappings: {bots: [bot]}
server_scopes:
  bot:
    - server: fininfo
      methods: [tools/list, tools/call]
`);
    expect(errors.map((error) => [error.field, error.line])).toEqual([["server_scopes.bot.0.tools", 4]]);
  });

  it("refuses a mapped scope that is defined nowhere (a typo)", () => {
    const errors = errorsOf(`group_mappings:
  bots: [bot, bto]
server_scopes:
  bot: [{server: a, methods: [initialize]}]
`);
    expect(errors).toEqual([
      {
        field: "group_mappings.bots.1",
        line: 2,
        message: 'scope "bto" is not defined in ui_scopes or server_scopes',
      },
    ]);
  });

  it("refuses names that cannot match a path, and mixes of wildcard and names", () => {
    const errors = errorsOf(`ui_scopes:
  bot:
    list_service: [FinInfo, all]
    get_agent: []
    manage_scopes: [fininfo]
server_scopes:
  bot:
    - server: fin_info
      methods: ["*", initialize]
      tools: ["*", x]
`);
    expect(errors.map((error) => error.field).sort()).toEqual(
      [
        "server_scopes.bot.0.methods",
        "server_scopes.bot.0.server",
        "server_scopes.bot.0.tools",
        "ui_scopes.bot.get_agent",
        "ui_scopes.bot.list_service",
        "ui_scopes.bot.list_service.0",
        "ui_scopes.bot.manage_scopes.0",
      ].sort(),
    );
    expect(errors.every((error) => typeof error.line === "number")).toBe(true);
  });

  it("validates tool rules", () => {
    const errors = errorsOf(`${minimal}tool_rules:
  - pattern: "drop table"
    action: block
    priority: -1
    color: red
`);
    expect(errors.map((error) => error.field).sort()).toEqual([
      "tool_rules.0.action",
      "tool_rules.0.color",
      "tool_rules.0.pattern",
      "tool_rules.0.priority",
    ]);
  });

  it("reports lines for JSON text too", () => {
    const text = '{\n  "ui_scopes": {\n    "bot": {\n      "list_agentz": ["all"]\n    }\n  }\n}';
    const result = validateScopesDocument(JSON.parse(text));
    if (result.ok) throw new Error("expected refusal");
    expect(locateIssues(text, result.issues)).toEqual([
      { field: "ui_scopes.bot.list_agentz", line: 4, message: expect.stringMatching(/^unknown action/) },
    ]);
  });

  it("accepts an empty document (which allows nothing)", () => {
    const parsed = parseScopesYaml("");
    expect(parsed.ok && parsed.document).toEqual({
      group_mappings: {},
      ui_scopes: {},
      server_scopes: {},
      tool_rules: [],
    });
  });
});
