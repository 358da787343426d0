// The dashboard's pure parts: which field shows which server error, what a
// principal may press, and the client configuration it hands out.
import { describe, expect, it } from "vitest";
import type { WhoAmI } from "../../dashboard/src/api-types.ts";
import {
  clientName,
  clientSnippet,
  mergeClientConfig,
  snippets,
} from "../../dashboard/src/connect-snippets.ts";
import { FieldErrors } from "../../dashboard/src/field-errors.ts";
import { can } from "../../dashboard/src/permissions.ts";

describe("FieldErrors", () => {
  it("gives each error to the most specific field that asks first, and keeps the rest", () => {
    const errors = new FieldErrors([
      { field: "endpoints.0.url", message: "must be an absolute http(s) URL" },
      { field: "endpoints.1", message: "unknown key" },
      { field: "tags.2", message: "too long" },
      { field: "", message: "send at least one field" },
    ]);
    expect(errors.for("endpoints.0.url")).toBe("must be an absolute http(s) URL");
    expect(errors.for("endpoints.0")).toBeUndefined();
    expect(errors.for("endpoints")).toBe("unknown key");
    expect(errors.for("tags")).toBe("too long");
    expect(errors.for("name")).toBeUndefined();
    expect(errors.unclaimed()).toEqual([{ field: "", message: "send at least one field" }]);
  });
});

describe("can", () => {
  const who = {
    permissions: {
      list_service: { all: false, names: ["ledger", "fininfo"] },
      toggle_service: { all: false, names: ["ledger"] },
      register_service: { all: false, names: [] },
      manage_scopes: { all: true, names: [] },
    },
  } as unknown as WhoAmI;

  it("answers per server path, or for any server when no path is given", () => {
    expect(can(who, "toggle_service", "ledger")).toBe(true);
    expect(can(who, "toggle_service", "fininfo")).toBe(false);
    expect(can(who, "list_service")).toBe(true);
    expect(can(who, "register_service")).toBe(false);
    expect(can(who, "manage_scopes")).toBe(true);
    expect(can(who, "delete_service", "ledger")).toBe(false);
    expect(can(null, "list_service")).toBe(false);
  });
});

describe("client configuration", () => {
  const target = { name: "Everything", url: "https://gw.example.com/everything/mcp", token: "t'k" };

  it("names the server safely for every client", () => {
    expect(clientName("My server / v2")).toBe("My-server-v2");
    expect(clientName("***")).toBe("mcp-gateway");
  });

  it("puts the bearer header in each client's own format", () => {
    const byClient = Object.fromEntries(snippets(target).map((snippet) => [snippet.client, snippet.text]));
    expect(Object.keys(byClient)).toEqual(["Claude Desktop", "Claude Code", "VS Code", "Cursor"]);
    // Single quotes survive the shell, including one inside the token.
    expect(byClient["Claude Code"]).toBe(
      `claude mcp add --transport http Everything 'https://gw.example.com/everything/mcp' \\\n  --header 'Authorization: Bearer t'"'"'k'`,
    );
    expect(JSON.parse(byClient["VS Code"] ?? "")).toEqual({
      servers: {
        Everything: {
          type: "http",
          url: target.url,
          headers: { Authorization: "Bearer t'k" },
        },
      },
    });
    expect(JSON.parse(byClient.Cursor ?? "").mcpServers.Everything.headers.Authorization).toBe("Bearer t'k");
    const desktop = JSON.parse(byClient["Claude Desktop"] ?? "").mcpServers.Everything;
    expect(desktop.args).toContain(target.url);
    expect(desktop.env.AUTH_HEADER).toBe("Bearer t'k");
  });

  it("lists several endpoints in one configuration, one claude mcp add line each", () => {
    const other = { name: "mcp-gateway", url: "https://gw.example.com/mcp", token: "u" };
    expect(Object.keys(JSON.parse(clientSnippet("cursor", [target, other]).text).mcpServers)).toEqual([
      "Everything",
      "mcp-gateway",
    ]);
    expect(
      clientSnippet("claude-code", [target, other])
        .text.split("\n")
        .filter((line) => line.startsWith("claude")),
    ).toHaveLength(2);
  });

  it("merges into a client's existing file, replacing same-named entries and keeping the rest", () => {
    const existing = {
      theme: "dark",
      servers: { Everything: { type: "http", url: "https://old.example.com/mcp" }, mine: { command: "x" } },
    };
    const merged = mergeClientConfig("vscode", existing, [target]) as {
      theme: string;
      servers: Record<string, { url?: string }>;
    };
    expect(merged.theme).toBe("dark");
    expect(Object.keys(merged.servers)).toEqual(["Everything", "mine"]);
    expect(merged.servers.Everything?.url).toBe(target.url);
    expect(existing.servers.Everything.url).toBe("https://old.example.com/mcp");
    expect(mergeClientConfig("cursor", { mcpServers: [] }, [target])).toEqual({
      mcpServers: { Everything: { url: target.url, headers: { Authorization: "Bearer t'k" } } },
    });
  });
});
