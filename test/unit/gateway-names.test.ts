// The aggregated endpoint's naming schemes read back exactly what they wrote,
// and the pure helpers around them (replica order, broadcast groups) behave.
import { describe, expect, it } from "vitest";
import { broadcastGroups, broadcastToolDefinitions } from "../../worker/aggregated/broadcast.ts";
import {
  qualifyName,
  splitQualifiedName,
  tagToolSuffix,
  unwrapUri,
  wrapPromptResultUris,
  wrapReadResultUris,
  wrapToolResultUris,
  wrapUri,
} from "../../worker/aggregated/gateway-names.ts";
import type { GatewayView, ServerView } from "../../worker/aggregated/gateway-view.ts";
import type { CatalogEntry, ServerRecord } from "../../worker/store/registry-store.ts";

describe("tool and prompt names", () => {
  it("split at the first __, since a server path never contains one", () => {
    expect(splitQualifiedName(qualifyName("github", "search__issues"))).toEqual({
      server: "github",
      name: "search__issues",
    });
    expect(splitQualifiedName("a-b__x")).toEqual({ server: "a-b", name: "x" });
  });

  it("refuse names without a valid server part or tool part", () => {
    for (const name of ["echo", "__echo", "Git__x", "github__", "-x__y", "a_b__c"]) {
      expect(splitQualifiedName(name), name).toBeNull();
    }
  });
});

describe("resource URIs", () => {
  const originals = [
    "file:///etc/hosts",
    "https://example.com/a?b=c#d",
    "demo://resource/static/document/a%20b.md",
    "urn:isbn:0451450523",
    "x",
  ];

  it("wrap verbatim and unwrap to the exact original", () => {
    for (const uri of originals) {
      const wrapped = wrapUri("docs", uri);
      expect(wrapped).toBe(`mcpgw://docs/${uri}`);
      expect(unwrapUri(wrapped)).toEqual({ server: "docs", uri });
    }
  });

  it("turn a wrapped template's expansion into the upstream template's expansion", () => {
    const template = wrapUri("ev", "demo://resource/dynamic/text/{resourceId}");
    expect(unwrapUri(template.replace("{resourceId}", "42"))).toEqual({
      server: "ev",
      uri: "demo://resource/dynamic/text/42",
    });
  });

  it("refuse anything that is not a wrapped URI", () => {
    for (const uri of [
      "file:///x",
      "mcpgw://",
      "mcpgw://docs",
      "mcpgw://docs/",
      "mcpgw://Docs/x",
      "mcpgw:///x",
    ]) {
      expect(unwrapUri(uri), uri).toBeNull();
    }
  });

  it("wrap the URIs inside tool, prompt and read results, leaving the rest alone", () => {
    const tool = wrapToolResultUris("s", {
      content: [
        { type: "text", text: "file:///not-a-link" },
        { type: "resource_link", uri: "file:///a", name: "a" },
        { type: "resource", resource: { uri: "file:///b", text: "b" } },
      ],
      isError: false,
    });
    expect(tool).toEqual({
      content: [
        { type: "text", text: "file:///not-a-link" },
        { type: "resource_link", uri: "mcpgw://s/file:///a", name: "a" },
        { type: "resource", resource: { uri: "mcpgw://s/file:///b", text: "b" } },
      ],
      isError: false,
    });
    const prompt = wrapPromptResultUris("s", {
      messages: [{ role: "user", content: { type: "resource", resource: { uri: "x://y", text: "" } } }],
    });
    expect(prompt.messages).toEqual([
      { role: "user", content: { type: "resource", resource: { uri: "mcpgw://s/x://y", text: "" } } },
    ]);
    expect(wrapReadResultUris("s", { contents: [{ uri: "x://y", text: "t" }] })).toEqual({
      contents: [{ uri: "mcpgw://s/x://y", text: "t" }],
    });
  });

  it("give tags a tool-name form", () => {
    expect(tagToolSuffix("Finance Tools")).toBe("finance_tools");
    expect(tagToolSuffix("team:core.v2")).toBe("team_core.v2");
  });
});

describe("broadcast groups", () => {
  const tool = (key: string, inputSchema: Record<string, unknown> = { type: "object" }): CatalogEntry => ({
    kind: "tool",
    key,
    definition: { name: key, inputSchema },
    fingerprint: key,
  });
  const view = (path: string, tags: string[], tools: CatalogEntry[], exposed = true): ServerView => ({
    server: { path, tags } as ServerRecord,
    exposed,
    tools,
    resources: [],
    resourceTemplates: [],
    prompts: [],
  });

  it("broadcasts a tool found on two or more exposed servers, and a tag carried by two or more", () => {
    const gateway: GatewayView = {
      servers: [
        view("a", ["Finance"], [tool("echo"), tool("only_a")]),
        view("b", ["finance", "solo"], [tool("echo")]),
        view("c", ["finance"], [tool("echo")], false),
      ],
    };
    const groups = broadcastGroups(gateway);
    expect([...groups.byTool.keys()]).toEqual(["echo"]);
    expect(groups.byTool.get("echo")?.map((target) => target.server.path)).toEqual(["a", "b"]);
    expect([...groups.byTag.keys()]).toEqual(["finance"]);
    expect(groups.byTag.get("finance")?.tag).toBe("Finance");
    const names = broadcastToolDefinitions(groups).map((definition) => definition.name);
    expect(names).toEqual(["broadcast__echo", "broadcast__by_tag__finance"]);
  });

  it("passes the shared input schema through only when every server declares the same one", () => {
    const same = { type: "object", properties: { message: { type: "string" } } };
    const shared = broadcastToolDefinitions(
      broadcastGroups({
        servers: [view("a", [], [tool("echo", same)]), view("b", [], [tool("echo", same)])],
      }),
    );
    expect(shared[0]?.inputSchema.properties?.arguments).toMatchObject({ properties: same.properties });
    const differing = broadcastToolDefinitions(
      broadcastGroups({ servers: [view("a", [], [tool("echo", same)]), view("b", [], [tool("echo")])] }),
    );
    expect(differing[0]?.inputSchema.properties?.arguments).not.toHaveProperty("properties");
  });
});
