// Registry tools of the aggregated endpoint: `list_servers` and
// `server_health` answer from the caller's view of the registry (policy
// applied), `invoke_tool` calls a tool by server and name through the same
// path and policy as `{server}__{tool}`, and `discover_tools` asks the search
// service, cut to the tools the caller may call (as tools/list). Health is
// the state of the last catalog read for now; the ServerState Durable Object
// will provide live checks.
import type { CallToolResult, Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { SearchOutcome } from "../search/search-service.ts";
import type { CatalogStatus } from "../store/registry-store.ts";
import type { DiscoveredAgent } from "./agent-discovery.ts";
import { qualifyName, REGISTRY_TOOL_NAMES } from "./gateway-names.ts";
import type { GatewayView, ServerView } from "./gateway-view.ts";

const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

export const REGISTRY_TOOLS: Tool[] = [
  {
    name: REGISTRY_TOOL_NAMES.listServers,
    title: "List servers",
    description:
      "Lists the MCP servers you can use through this gateway: path, name, description, tags, status, and " +
      "the names under which their tools are offered here ({server}__{tool}).",
    inputSchema: {
      type: "object",
      properties: {
        tag: { type: "string", description: "Only servers with this tag (exact match)." },
        query: {
          type: "string",
          description: "Only servers whose path, name or description contains this text.",
        },
      },
      additionalProperties: false,
    },
    annotations: readOnly,
  },
  {
    name: REGISTRY_TOOL_NAMES.serverHealth,
    title: "Server health",
    description:
      "Health of the MCP servers you can use: healthy, unhealthy or unknown, when the gateway last checked, " +
      "and why a server is unhealthy.",
    inputSchema: {
      type: "object",
      properties: { server: { type: "string", description: "One server's path (default: all)." } },
      additionalProperties: false,
    },
    annotations: readOnly,
  },
  {
    name: REGISTRY_TOOL_NAMES.discoverTools,
    title: "Discover tools",
    description:
      "Finds tools for a task described in natural language, across every server you can use, best first " +
      '(kind "tool"), and A2A agents you can see that fit it (kind "agent", after the tools, with their card\'s path). ' +
      "Call a tool it finds by its name here ({server}__{tool}) or with invoke_tool.",
    inputSchema: {
      type: "object",
      properties: {
        query: { type: "string", description: "What you want to do, in natural language." },
        limit: {
          type: "integer",
          minimum: 1,
          maximum: 50,
          description: "At most this many tools (default 10).",
        },
      },
      required: ["query"],
      additionalProperties: false,
    },
    annotations: readOnly,
  },
  {
    name: REGISTRY_TOOL_NAMES.invokeTool,
    title: "Invoke a tool",
    description:
      "Calls a tool by server path and tool name (as discover_tools or list_servers report them), " +
      "with the given arguments, and returns the tool's result.",
    inputSchema: {
      type: "object",
      properties: {
        server: { type: "string", description: "The server's path, e.g. github-tools." },
        tool: { type: "string", description: "The tool's name on that server (without the server prefix)." },
        arguments: { type: "object", description: "The tool's arguments." },
      },
      required: ["server", "tool"],
      additionalProperties: false,
    },
    annotations: { openWorldHint: true },
  },
];

export const REGISTRY_TOOL_SET: ReadonlySet<string> = new Set(REGISTRY_TOOLS.map((tool) => tool.name));

export const ListServersInput = z.strictObject({ tag: z.string().optional(), query: z.string().optional() });
export const ServerHealthInput = z.strictObject({ server: z.string().optional() });
export const DiscoverToolsInput = z.strictObject({
  query: z.string().min(1),
  limit: z.int().min(1).max(50).optional(),
});
export const InvokeToolInput = z.strictObject({
  server: z.string().min(1),
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

export type Health = "healthy" | "unhealthy" | "unknown";

const HEALTH: Record<CatalogStatus, Health> = { ok: "healthy", unreachable: "unhealthy", pending: "unknown" };

export function listServers(view: GatewayView, input: z.infer<typeof ListServersInput>): CallToolResult {
  const query = input.query?.toLowerCase();
  const servers = view.servers
    .filter((entry) => input.tag === undefined || entry.server.tags.includes(input.tag))
    .filter((entry) => query === undefined || haystack(entry).includes(query))
    .map((entry) => ({
      server: entry.server.path,
      name: entry.server.name,
      description: entry.server.description,
      tags: entry.server.tags,
      status: HEALTH[entry.server.catalog.status],
      tools: entry.exposed ? entry.tools.map((tool) => qualifyName(entry.server.path, tool.key)) : [],
      resources: entry.exposed ? entry.resources.length + entry.resourceTemplates.length : 0,
      prompts: entry.exposed ? entry.prompts.length : 0,
    }));
  return structured({ servers });
}

export function serverHealth(view: GatewayView, input: z.infer<typeof ServerHealthInput>): CallToolResult {
  const entries = view.servers.filter(
    (entry) => input.server === undefined || entry.server.path === input.server,
  );
  if (input.server !== undefined && entries.length === 0) {
    return toolError(`No server "${input.server}" that you can use`);
  }
  const servers = entries.map((entry) => {
    const catalog = entry.server.catalog;
    return {
      server: entry.server.path,
      status: HEALTH[catalog.status],
      checkedAt: catalog.checkedAt,
      error: catalog.error,
      protocolVersion: catalog.protocolVersion,
      counts: catalog.counts,
      source: "catalog",
    };
  });
  return structured({ servers });
}

export const DEFAULT_DISCOVER_LIMIT = 10;

/** Search hits as tools the caller can call right away, by their aggregated name or through invoke_tool. */
export function discoveredTools(outcome: SearchOutcome, agents: DiscoveredAgent[] = []): CallToolResult {
  const tools = outcome.results.map((hit) => ({
    kind: "tool" as const,
    name: qualifyName(hit.serverPath, hit.name),
    server: hit.serverPath,
    tool: hit.name,
    title: hit.title,
    description: hit.description,
    inputSchema: hit.inputSchema,
    score: hit.score,
    matchedFields: hit.matchedFields,
  }));
  return structured({
    mode: outcome.mode,
    tools: [...tools, ...agents],
    ...(outcome.notice && { notice: outcome.notice }),
  });
}

function haystack(entry: ServerView): string {
  return `${entry.server.path} ${entry.server.name} ${entry.server.description}`.toLowerCase();
}

/** A result with structured content and the same JSON as text (for clients that read only text). */
export function structured(value: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: value,
    ...(isError && { isError: true }),
  };
}

export function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}
