// mcpgw servers list|get|register|update|enable|disable|delete|tools|refresh:
// the REST API's /servers routes. A server is named by its path or its id.
import type { CatalogItem, Server } from "../../dashboard/src/api-types.ts";
import { type Command, exactArgs, listOption, stringOption, UsageError, type Values } from "../command.ts";
import { type Context, parseJson } from "../context.ts";
import { type GatewayClient, ProblemError } from "../gateway-client.ts";
import { type Column, clip, type Output } from "../output.ts";

/** A server by path (the usual name) or by id; an unknown one ends with the gateway's 404. */
export async function resolveServer(api: GatewayClient, ref: string): Promise<Server> {
  const byPath = await api
    .request<{ items: Server[] }>("/servers", { query: { path: ref, limit: 1 } })
    // A reference that is not a valid path (e.g. an id with other characters) is simply not a path.
    .catch((error: unknown) => {
      if (error instanceof ProblemError && error.status === 400) return { items: [] };
      throw error;
    });
  const found = byPath.items.find((server) => server.path === ref);
  return found ?? api.request<Server>(`/servers/${encodeURIComponent(ref)}`);
}

/** Every server the caller may list (all pages), optionally filtered. */
export async function listAllServers(
  api: GatewayClient,
  query: Record<string, string | undefined> = {},
): Promise<Server[]> {
  const servers: Server[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.request<{ items: Server[]; nextCursor: string | null }>("/servers", {
      query: { ...query, limit: 100, cursor },
    });
    servers.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return servers;
}

const SERVER_COLUMNS: Column<Server>[] = [
  ["PATH", (server) => server.path],
  ["NAME", (server) => clip(server.name, 30)],
  ["ENABLED", (server) => (server.enabled ? "yes" : "no")],
  ["HEALTH", (server) => server.health?.status],
  ["CATALOG", (server) => server.catalog.status],
  ["TOOLS", (server) => server.catalog.counts.tools],
  ["TAGS", (server) => server.tags],
];

function showServer(output: Output, server: Server): void {
  output.fields([
    ["id", server.id],
    ["path", server.path],
    ["name", server.name],
    ["description", clip(server.description, 100)],
    ["enabled", server.enabled],
    ["tags", server.tags],
    ["endpoints", server.endpoints.map((endpoint) => `${endpoint.url} (${endpoint.transport})`)],
    ["health", server.health?.status],
    ["catalog", `${server.catalog.status}${server.catalog.error ? `: ${server.catalog.error}` : ""}`],
    ["tools", server.catalog.counts.tools],
    ["updated", server.updatedAt],
  ]);
}

/** The body of register/update: a JSON file (optional) with the flags on top. */
async function serverBody(ctx: Context, values: Values): Promise<Record<string, unknown>> {
  const file = stringOption(values, "file");
  const body: Record<string, unknown> = {};
  if (file !== undefined) {
    const parsed = parseJson(await ctx.readInput(file), file);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`${file} must hold a JSON object (the server's fields)`);
    }
    Object.assign(body, parsed);
  }
  for (const field of ["name", "path", "description"] as const) {
    const value = stringOption(values, field);
    if (value !== undefined) body[field] = value;
  }
  const tags = listOption(values, "tags");
  if (tags !== undefined) body.tags = tags;
  const urls = listOption(values, "url");
  if (urls !== undefined) {
    const transport = stringOption(values, "transport") ?? "streamable-http";
    body.endpoints = urls.map((url) => ({ url, transport }));
  }
  return body;
}

const bodyOptions = {
  file: { type: "string", help: "<file.json> the server's fields as JSON (- for stdin); flags override" },
  name: { type: "string", help: "<name> display name" },
  path: { type: "string", help: "<path> URL path: the server is served at /<path>/mcp" },
  description: { type: "string", help: "<text> what it does" },
  tags: { type: "string", help: "<a,b> tags" },
  url: { type: "string", multiple: true, help: "<url> upstream MCP endpoint (repeat for replicas)" },
  transport: { type: "string", help: "<streamable-http|sse> transport of the --url endpoints" },
} as const;

const list: Command = {
  name: ["servers", "list"],
  summary: "List the servers you may see",
  options: {
    tag: { type: "string", help: "<tag> only servers with this tag" },
    text: { type: "string", help: "<text> only servers whose name, path or description contains it" },
    enabled: { type: "string", help: "<true|false> only enabled or disabled servers" },
  },
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const servers = await listAllServers(await ctx.api(), {
      tag: stringOption(values, "tag"),
      text: stringOption(values, "text"),
      enabled: stringOption(values, "enabled"),
    });
    ctx.output.result(servers, () => ctx.output.table(servers, SERVER_COLUMNS, "No servers."));
  },
};

const get: Command = {
  name: ["servers", "get"],
  summary: "Show one server",
  args: "<server>",
  async run(ctx, positionals) {
    const [ref = ""] = exactArgs(positionals, ["server"]);
    const server = await resolveServer(await ctx.api(), ref);
    ctx.output.result(server, () => showServer(ctx.output, server));
  },
};

const register: Command = {
  name: ["servers", "register"],
  summary: "Register an MCP server (the gateway reads its catalog right away)",
  options: bodyOptions,
  details:
    "Example:\n  mcpgw servers register --name Everything --path everything --url http://127.0.0.1:3001/mcp --tags reference",
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const body = await serverBody(ctx, values);
    const server = await (await ctx.api()).request<Server>("/servers", { method: "POST", json: body });
    ctx.output.result(server, () => {
      ctx.output.line(`Registered ${server.path} (id ${server.id}), catalog ${server.catalog.status}.`);
      if (server.catalog.error) ctx.output.line(`  ${server.catalog.error}`);
    });
  },
};

const update: Command = {
  name: ["servers", "update"],
  summary: "Change some fields of a server",
  args: "<server>",
  options: bodyOptions,
  async run(ctx, positionals, values) {
    const [ref = ""] = exactArgs(positionals, ["server"]);
    const api = await ctx.api();
    const body = await serverBody(ctx, values);
    if (Object.keys(body).length === 0)
      throw new UsageError("nothing to change: give --file or field options");
    const { id } = await resolveServer(api, ref);
    const server = await api.request<Server>(`/servers/${encodeURIComponent(id)}`, {
      method: "PATCH",
      json: body,
    });
    ctx.output.result(server, () => ctx.output.line(`Updated ${server.path}.`));
  },
};

function enablement(action: "enable" | "disable"): Command {
  return {
    name: ["servers", action],
    summary: `${action === "enable" ? "Enable" : "Disable"} a server`,
    args: "<server>",
    async run(ctx, positionals) {
      const [ref = ""] = exactArgs(positionals, ["server"]);
      const api = await ctx.api();
      const { id } = await resolveServer(api, ref);
      const server = await api.request<Server>(`/servers/${encodeURIComponent(id)}/${action}`, {
        method: "POST",
      });
      ctx.output.result(server, () =>
        ctx.output.line(`${server.path} is ${server.enabled ? "enabled" : "disabled"}.`),
      );
    },
  };
}

const remove: Command = {
  name: ["servers", "delete"],
  summary: "Delete a server and its catalog",
  args: "<server>",
  async run(ctx, positionals) {
    const [ref = ""] = exactArgs(positionals, ["server"]);
    const api = await ctx.api();
    const { id, path } = await resolveServer(api, ref);
    await api.request(`/servers/${encodeURIComponent(id)}`, { method: "DELETE" });
    ctx.output.result({ deleted: true, id, path }, () => ctx.output.line(`Deleted ${path}.`));
  },
};

const tools: Command = {
  name: ["servers", "tools"],
  summary: "List a server's tools as the gateway last read them",
  args: "<server>",
  async run(ctx, positionals) {
    const [ref = ""] = exactArgs(positionals, ["server"]);
    const api = await ctx.api();
    const { id } = await resolveServer(api, ref);
    const { items } = await api.request<{ items: CatalogItem[] }>(`/servers/${encodeURIComponent(id)}/tools`);
    ctx.output.result(items, () =>
      ctx.output.table(
        items,
        [
          ["TOOL", (item) => item.key],
          ["DESCRIPTION", (item) => clip(String(item.definition.description ?? ""), 80)],
        ],
        "No tools.",
      ),
    );
  },
};

const refresh: Command = {
  name: ["servers", "refresh"],
  summary: "Check servers now and re-read their catalogs",
  args: "<server> | --all",
  options: { all: { type: "boolean", help: "every server you may see, one after the other" } },
  async run(ctx, positionals, values) {
    const api = await ctx.api();
    let targets: Server[];
    if (values.all === true) {
      exactArgs(positionals, []);
      targets = await listAllServers(api);
    } else {
      const [ref = ""] = exactArgs(positionals, ["server"]);
      targets = [await resolveServer(api, ref)];
    }
    const results: Server[] = [];
    const failures: { path: string; error: string }[] = [];
    for (const [index, target] of targets.entries()) {
      if (targets.length > 1)
        ctx.output.progress(`[${index + 1}/${targets.length}] refreshing ${target.path}…`);
      try {
        results.push(
          await api.request<Server>(`/servers/${encodeURIComponent(target.id)}/refresh`, { method: "POST" }),
        );
      } catch (error) {
        if (targets.length === 1) throw error;
        failures.push({ path: target.path, error: (error as Error).message });
      }
    }
    ctx.output.result(values.all === true ? { servers: results, failures } : results[0], () => {
      ctx.output.table(results, SERVER_COLUMNS, "No servers.");
      for (const failure of failures) ctx.output.line(`failed: ${failure.path}: ${failure.error}`);
    });
    if (failures.length > 0) process.exitCode = 1;
  },
};

export const serverCommands: Command[] = [
  list,
  get,
  register,
  update,
  enablement("enable"),
  enablement("disable"),
  remove,
  tools,
  refresh,
];
