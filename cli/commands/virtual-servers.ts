// mcpgw virtual-servers list|show|create|update|delete|enable|disable: the
// REST API's /virtual-servers routes. A virtual server is named by its name
// or its id; its body comes from --file (the API body as is) and/or flags.
import type { VirtualServer } from "../../dashboard/src/api-types.ts";
import { type Command, exactArgs, stringOption, UsageError, type Values } from "../command.ts";
import { type Context, parseJson } from "../context.ts";
import type { GatewayClient } from "../gateway-client.ts";
import { clip, type Output } from "../output.ts";

/** The item name that takes a server whole (worker/virtual/virtual-server-input.ts). */
const WHOLE = "*";

/** A virtual server by name or id; an unknown one ends with the gateway's 404. */
async function resolveVirtual(api: GatewayClient, ref: string): Promise<VirtualServer> {
  const { items } = await api.request<{ items: VirtualServer[] }>("/virtual-servers");
  return (
    items.find((item) => item.name === ref || item.id === ref) ??
    api.request<VirtualServer>(`/virtual-servers/${encodeURIComponent(ref)}`)
  );
}

const mcpUrl = (api: GatewayClient, server: VirtualServer) => `${api.gateway}${server.endpoint}`;

/** "server/item" (split at the first "/": server paths have none) with an optional "=exposed". */
function parseItem(option: string, spec: string, renamable: boolean) {
  const slash = spec.indexOf("/");
  if (slash <= 0 || slash === spec.length - 1) {
    throw new UsageError(`--${option} "${spec}": use <server>/<${option}>${renamable ? "[=<name>]" : ""}`);
  }
  const server = spec.slice(0, slash);
  let item = spec.slice(slash + 1);
  let name: string | undefined;
  const equals = renamable ? item.lastIndexOf("=") : -1;
  if (equals > 0) {
    name = item.slice(equals + 1);
    item = item.slice(0, equals);
  }
  return { server, item, ...(name !== undefined && { name }) };
}

function repeated(values: Values, name: string): string[] | undefined {
  const value = values[name];
  if (value === undefined || typeof value === "boolean") return undefined;
  return Array.isArray(value) ? value : [value];
}

/** The body of create/update: a JSON file (optional) with the flags on top. */
async function virtualBody(ctx: Context, values: Values): Promise<Record<string, unknown>> {
  const file = stringOption(values, "file");
  const body: Record<string, unknown> = {};
  if (file !== undefined) {
    const parsed = parseJson(await ctx.readInput(file), file);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new UsageError(`${file} must hold a JSON object (the virtual server's fields)`);
    }
    Object.assign(body, parsed);
  }
  for (const field of ["name", "description", "mode"] as const) {
    const value = stringOption(values, field);
    if (value !== undefined) body[field] = value;
  }
  const tools = repeated(values, "tool")?.map((spec) => {
    const { server, item, name } = parseItem("tool", spec, true);
    return { server, tool: item, ...(name !== undefined && { name }) };
  });
  const whole = repeated(values, "whole")?.map((server) => ({ server, tool: WHOLE }));
  if (tools || whole) body.tools = [...(whole ?? []), ...(tools ?? [])];
  const resources = repeated(values, "resource")?.map((spec) => {
    const { server, item } = parseItem("resource", spec, false);
    return { server, uri: item };
  });
  if (resources) body.resources = resources;
  const prompts = repeated(values, "prompt")?.map((spec) => {
    const { server, item, name } = parseItem("prompt", spec, true);
    return { server, prompt: item, ...(name !== undefined && { name }) };
  });
  if (prompts) body.prompts = prompts;
  return body;
}

const bodyOptions = {
  file: {
    type: "string",
    help: "<file.json> the API body as JSON (- for stdin); flags override its fields",
  },
  name: { type: "string", help: "<name> URL slug: served at /v/<name>/mcp" },
  description: { type: "string", help: "<text> what it is for" },
  mode: { type: "string", help: "<tools|discovery> discovery: only discover_tools and invoke_tool" },
  tool: {
    type: "string",
    multiple: true,
    help: "<server/tool[=name]> a tool of a registered server, optionally exposed as <name> (repeat)",
  },
  whole: {
    type: "string",
    multiple: true,
    help: '<server> take all tools of a server, present and future, under their own names ("tool": "*") (repeat)',
  },
  resource: {
    type: "string",
    multiple: true,
    help: "<server/uri> a resource or template of a server; server/* for all of them (repeat)",
  },
  prompt: {
    type: "string",
    multiple: true,
    help: "<server/prompt[=name]> a prompt of a server; server/* for all of them (repeat)",
  },
} as const;

const itemsNote =
  "--tool/--whole, --resource and --prompt each replace the whole list they set (as in the API body).";

function toolCount(server: VirtualServer): string {
  const whole = server.tools.filter((tool) => tool.tool === WHOLE).length;
  const named = server.tools.length - whole;
  return whole > 0 ? `${named}+${whole} whole` : String(named);
}

function showVirtual(output: Output, api: GatewayClient, server: VirtualServer): void {
  output.fields([
    ["id", server.id],
    ["name", server.name],
    ["description", clip(server.description, 100)],
    ["enabled", server.enabled],
    ["mode", server.mode],
    ["mcp url", mcpUrl(api, server)],
    ["owner", server.owner],
    ["updated", server.updatedAt],
  ]);
  const rows = [
    ...server.tools.map((tool) => ({
      kind: "tool",
      from: `${tool.server}/${tool.tool}`,
      as: tool.tool === WHOLE ? "(whole server)" : (tool.name ?? tool.tool),
    })),
    ...server.resources.map((resource) => ({
      kind: "resource",
      from: `${resource.server}/${resource.uri}`,
      as: resource.uri === WHOLE ? "(whole server)" : resource.uri,
    })),
    ...server.prompts.map((prompt) => ({
      kind: "prompt",
      from: `${prompt.server}/${prompt.prompt}`,
      as: prompt.prompt === WHOLE ? "(whole server)" : (prompt.name ?? prompt.prompt),
    })),
  ];
  output.line();
  output.table(
    rows,
    [
      ["KIND", (row) => row.kind],
      ["FROM", (row) => row.from],
      ["EXPOSED AS", (row) => row.as],
    ],
    "No items.",
  );
}

const list: Command = {
  name: ["virtual-servers", "list"],
  summary: "List the virtual servers you may see",
  async run(ctx, positionals) {
    exactArgs(positionals, []);
    const api = await ctx.api();
    const { items } = await api.request<{ items: VirtualServer[] }>("/virtual-servers");
    ctx.output.result(items, () =>
      ctx.output.table(
        items,
        [
          ["NAME", (server) => server.name],
          ["ID", (server) => server.id],
          ["ENABLED", (server) => (server.enabled ? "yes" : "no")],
          ["MODE", (server) => server.mode],
          ["TOOLS", toolCount],
          ["MCP URL", (server) => mcpUrl(api, server)],
        ],
        "No virtual servers.",
      ),
    );
  },
};

const show: Command = {
  name: ["virtual-servers", "show"],
  summary: "Show one virtual server and its items",
  args: "<name|id>",
  async run(ctx, positionals) {
    const [ref = ""] = exactArgs(positionals, ["name|id"]);
    const api = await ctx.api();
    const server = await resolveVirtual(api, ref);
    ctx.output.result(server, () => showVirtual(ctx.output, api, server));
  },
};

const create: Command = {
  name: ["virtual-servers", "create"],
  summary: "Create a virtual server: one MCP endpoint over chosen tools of registered servers",
  options: { ...bodyOptions, disabled: { type: "boolean", help: "create it disabled" } },
  details: [
    "Examples:",
    "  mcpgw virtual-servers create --name support --tool everything/echo --tool everything/get-sum=add",
    "  mcpgw virtual-servers create --name all-of-it --whole everything --resource 'everything/*' --prompt 'everything/*'",
    "  mcpgw virtual-servers create --file support.json",
    "",
    itemsNote,
  ].join("\n"),
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const body = await virtualBody(ctx, values);
    if (values.disabled === true) body.enabled = false;
    const api = await ctx.api();
    const server = await api.request<VirtualServer>("/virtual-servers", { method: "POST", json: body });
    ctx.output.result(server, () =>
      ctx.output.line(`Created ${server.name} (id ${server.id}) at ${mcpUrl(api, server)}.`),
    );
  },
};

const update: Command = {
  name: ["virtual-servers", "update"],
  summary: "Change some fields of a virtual server",
  args: "<name|id>",
  options: bodyOptions,
  details: itemsNote,
  async run(ctx, positionals, values) {
    const [ref = ""] = exactArgs(positionals, ["name|id"]);
    const body = await virtualBody(ctx, values);
    if (Object.keys(body).length === 0)
      throw new UsageError("nothing to change: give --file or field options");
    const api = await ctx.api();
    const { id } = await resolveVirtual(api, ref);
    const server = await api.request<VirtualServer>(`/virtual-servers/${encodeURIComponent(id)}`, {
      method: "PATCH",
      json: body,
    });
    ctx.output.result(server, () => ctx.output.line(`Updated ${server.name}.`));
  },
};

function enablement(action: "enable" | "disable"): Command {
  return {
    name: ["virtual-servers", action],
    summary: `${action === "enable" ? "Enable" : "Disable"} a virtual server (its MCP endpoint)`,
    args: "<name|id>",
    async run(ctx, positionals) {
      const [ref = ""] = exactArgs(positionals, ["name|id"]);
      const api = await ctx.api();
      const { id } = await resolveVirtual(api, ref);
      const server = await api.request<VirtualServer>(
        `/virtual-servers/${encodeURIComponent(id)}/${action}`,
        { method: "POST" },
      );
      ctx.output.result(server, () =>
        ctx.output.line(`${server.name} is ${server.enabled ? "enabled" : "disabled"}.`),
      );
    },
  };
}

const remove: Command = {
  name: ["virtual-servers", "delete"],
  summary: "Delete a virtual server (the servers it draws on stay)",
  args: "<name|id>",
  async run(ctx, positionals) {
    const [ref = ""] = exactArgs(positionals, ["name|id"]);
    const api = await ctx.api();
    const { id, name } = await resolveVirtual(api, ref);
    await api.request(`/virtual-servers/${encodeURIComponent(id)}`, { method: "DELETE" });
    ctx.output.result({ deleted: true, id, name }, () => ctx.output.line(`Deleted ${name}.`));
  },
};

export const virtualServerCommands: Command[] = [
  list,
  show,
  create,
  update,
  enablement("enable"),
  enablement("disable"),
  remove,
];
