// Ready-to-paste client configuration for MCP endpoints of the gateway (a
// server's /{path}/mcp or the aggregated /mcp), with the bearer header. Pure
// functions, shared by the dashboard's Connect page and `mcpgw config` (cli/):
// both print exactly what these return.

export interface ConnectTarget {
  /** The name the client lists the server under, e.g. "everything" or "mcp-gateway". */
  name: string;
  /** Absolute URL of the Streamable HTTP endpoint. */
  url: string;
  token: string;
}

export const CLIENT_IDS = ["claude-desktop", "claude-code", "vscode", "cursor"] as const;
export type ClientId = (typeof CLIENT_IDS)[number];

export interface Snippet {
  id: ClientId;
  client: string;
  /** Where it goes (a file or a shell). */
  where: string;
  language: "json" | "shell";
  text: string;
  note?: string;
}

/** One client's configuration format: the JSON file it reads (if any) and how entries sit in it. */
interface ClientFormat {
  id: ClientId;
  client: string;
  where: string;
  note?: string;
  /** The key holding the servers in the client's JSON file. */
  key: "mcpServers" | "servers";
  entry(target: ConnectTarget): Record<string, unknown>;
  /** Shell lines instead of JSON (Claude Code's `claude mcp add`). */
  shell?(target: ConnectTarget): string;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** Client names: letters, digits, `-` and `_` travel safely through every client's config. */
export function clientName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "mcp-gateway";
}

/** Single quotes for POSIX shells: nothing inside is expanded. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

const bearer = (target: ConnectTarget) => `Bearer ${target.token}`;

const FORMATS: Record<ClientId, ClientFormat> = {
  "claude-desktop": {
    id: "claude-desktop",
    client: "Claude Desktop",
    where: "claude_desktop_config.json (Settings → Developer → Edit Config)",
    note: "Claude Desktop's config file starts local programs, so the mcp-remote bridge (Node.js) carries the header; the environment variable keeps the space in the header out of the arguments.",
    key: "mcpServers",
    entry: (target) => ({
      command: "npx",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${AUTH_HEADER} itself
      args: ["-y", "mcp-remote", target.url, "--header", "Authorization:${AUTH_HEADER}"],
      env: { AUTH_HEADER: bearer(target) },
    }),
  },
  "claude-code": {
    id: "claude-code",
    client: "Claude Code",
    where: "a shell (or the project's .mcp.json)",
    key: "mcpServers",
    entry: (target) => ({ type: "http", url: target.url, headers: { Authorization: bearer(target) } }),
    shell: (target) =>
      `claude mcp add --transport http ${clientName(target.name)} ${shellQuote(target.url)} \\\n  --header ${shellQuote(`Authorization: ${bearer(target)}`)}`,
  },
  vscode: {
    id: "vscode",
    client: "VS Code",
    where: ".vscode/mcp.json",
    key: "servers",
    entry: (target) => ({ type: "http", url: target.url, headers: { Authorization: bearer(target) } }),
  },
  cursor: {
    id: "cursor",
    client: "Cursor",
    where: "~/.cursor/mcp.json",
    key: "mcpServers",
    entry: (target) => ({ url: target.url, headers: { Authorization: bearer(target) } }),
  },
};

/** The client's JSON configuration for these targets: `{ <key>: { <name>: entry } }`. */
export function clientConfig(
  id: ClientId,
  targets: ConnectTarget[],
): Record<string, Record<string, unknown>> {
  const format = FORMATS[id];
  const entries = Object.fromEntries(
    targets.map((target) => [clientName(target.name), format.entry(target)]),
  );
  return { [format.key]: entries };
}

/**
 * Adds the targets' entries to a client's existing configuration (parsed JSON),
 * replacing entries of the same name and keeping everything else.
 */
export function mergeClientConfig(
  id: ClientId,
  existing: Record<string, unknown>,
  targets: ConnectTarget[],
): Record<string, unknown> {
  const { key } = FORMATS[id];
  const current = existing[key];
  const kept = typeof current === "object" && current !== null && !Array.isArray(current) ? current : {};
  return { ...existing, [key]: { ...kept, ...clientConfig(id, targets)[key] } };
}

/** What to paste for one client: JSON for config files, `claude mcp add` lines for Claude Code. */
export function clientSnippet(id: ClientId, targets: ConnectTarget[]): Snippet {
  const format = FORMATS[id];
  const { shell } = format;
  return {
    id,
    client: format.client,
    where: format.where,
    language: shell ? "shell" : "json",
    text: shell ? targets.map(shell).join("\n") : json(clientConfig(id, targets)),
    ...(format.note !== undefined && { note: format.note }),
  };
}

/** Every client's snippet for one endpoint (the dashboard's Connect page). */
export function snippets(target: ConnectTarget): Snippet[] {
  return CLIENT_IDS.map((id) => clientSnippet(id, [target]));
}
