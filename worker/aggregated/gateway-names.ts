// How the aggregated endpoint names what it exposes, and how those names are
// read back. Every scheme is reversible without a lookup table:
// - tools and prompts: `{server}__{name}`; a server path slug never contains
//   `__` (lowercase letters, digits and single inner hyphens), so the first
//   `__` always separates the server from the upstream's own name;
// - resources and resource templates: `mcpgw://{server}/{original}`, the
//   upstream URI (or URI template) kept verbatim after the prefix, so a client
//   expanding a wrapped template gets exactly the wrapped expansion;
// - gateway tools: `broadcast__{tool}`, `broadcast__by_tag__{tag}` and the
//   registry tools, whose names cannot be taken by a server (`broadcast` is a
//   reserved path; registry tool names have no `__`).

import { BROADCAST_SERVER } from "../edge/usable-servers.ts";

export const NAME_SEPARATOR = "__";
export const RESOURCE_SCHEME = "mcpgw";
export { BROADCAST_SERVER };
export const BROADCAST_PREFIX = `${BROADCAST_SERVER}${NAME_SEPARATOR}`;
export const BROADCAST_BY_TAG_PREFIX = `${BROADCAST_PREFIX}by_tag${NAME_SEPARATOR}`;

export const REGISTRY_TOOL_NAMES = {
  listServers: "list_servers",
  serverHealth: "server_health",
  discoverTools: "discover_tools",
  invokeTool: "invoke_tool",
} as const;

const SERVER_SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const RESOURCE_PREFIX = `${RESOURCE_SCHEME}://`;

export interface QualifiedName {
  server: string;
  name: string;
}

/** `{server}__{name}` for a tool or prompt. */
export function qualifyName(server: string, name: string): string {
  return `${server}${NAME_SEPARATOR}${name}`;
}

/** The server and upstream name of `{server}__{name}`; null when the name has no such shape. */
export function splitQualifiedName(qualified: string): QualifiedName | null {
  const at = qualified.indexOf(NAME_SEPARATOR);
  if (at <= 0) return null;
  const server = qualified.slice(0, at);
  const name = qualified.slice(at + NAME_SEPARATOR.length);
  if (name === "" || !SERVER_SLUG.test(server)) return null;
  return { server, name };
}

/** `mcpgw://{server}/{uri}` for a resource URI or URI template. */
export function wrapUri(server: string, uri: string): string {
  return `${RESOURCE_PREFIX}${server}/${uri}`;
}

/** The server and upstream URI of a wrapped URI; null for anything else. */
export function unwrapUri(wrapped: string): { server: string; uri: string } | null {
  if (!wrapped.startsWith(RESOURCE_PREFIX)) return null;
  const rest = wrapped.slice(RESOURCE_PREFIX.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const server = rest.slice(0, slash);
  const uri = rest.slice(slash + 1);
  if (uri === "" || !SERVER_SLUG.test(server)) return null;
  return { server, uri };
}

/**
 * The tool-name form of a server tag: characters outside the tool-name
 * alphabet become `_`. Two tags with the same form share one broadcast tool
 * name; the aggregated view keeps the first and reports nothing for the other.
 */
export function tagToolSuffix(tag: string): string {
  return tag
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "_");
}

/** A tool result with the URIs of its resource links and embedded resources wrapped. */
export function wrapToolResultUris(server: string, result: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(result.content)) return result;
  return { ...result, content: result.content.map((block: unknown) => wrapBlockUri(server, block)) };
}

/** A prompts/get result with the URIs in its messages wrapped. */
export function wrapPromptResultUris(
  server: string,
  result: Record<string, unknown>,
): Record<string, unknown> {
  if (!Array.isArray(result.messages)) return result;
  const messages = result.messages.map((message: unknown) =>
    isRecord(message) ? { ...message, content: wrapBlockUri(server, message.content) } : message,
  );
  return { ...result, messages };
}

/** A resources/read result whose `contents[].uri` are wrapped. */
export function wrapReadResultUris(server: string, result: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(result.contents)) return result;
  const contents = result.contents.map((item: unknown) =>
    isRecord(item) && typeof item.uri === "string" ? { ...item, uri: wrapUri(server, item.uri) } : item,
  );
  return { ...result, contents };
}

function wrapBlockUri(server: string, block: unknown): unknown {
  if (!isRecord(block)) return block;
  if (block.type === "resource_link" && typeof block.uri === "string") {
    return { ...block, uri: wrapUri(server, block.uri) };
  }
  if (block.type === "resource" && isRecord(block.resource) && typeof block.resource.uri === "string") {
    return { ...block, resource: { ...block.resource, uri: wrapUri(server, block.resource.uri) } };
  }
  return block;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
