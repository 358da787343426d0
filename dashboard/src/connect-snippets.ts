// Ready-to-paste client configuration for one MCP endpoint of the gateway
// (a server's /{path}/mcp or the aggregated /mcp), with the bearer header.
// Pure functions: the Connect page only chooses the inputs.

export interface ConnectTarget {
  /** The name the client lists the server under, e.g. "everything" or "mcp-gateway". */
  name: string;
  /** Absolute URL of the Streamable HTTP endpoint. */
  url: string;
  token: string;
}

export interface Snippet {
  client: string;
  /** Where it goes (a file or a shell). */
  where: string;
  language: "json" | "shell";
  text: string;
  note?: string;
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

export function snippets(target: ConnectTarget): Snippet[] {
  const name = clientName(target.name);
  const header = `Bearer ${target.token}`;
  return [
    {
      client: "Claude Desktop",
      where: "claude_desktop_config.json (Settings → Developer → Edit Config)",
      language: "json",
      text: json({
        mcpServers: {
          [name]: {
            command: "npx",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${AUTH_HEADER} itself
            args: ["-y", "mcp-remote", target.url, "--header", "Authorization:${AUTH_HEADER}"],
            env: { AUTH_HEADER: header },
          },
        },
      }),
      note: "Claude Desktop's config file starts local programs, so the mcp-remote bridge (Node.js) carries the header; the environment variable keeps the space in the header out of the arguments.",
    },
    {
      client: "Claude Code",
      where: "a shell",
      language: "shell",
      text: `claude mcp add --transport http ${name} ${shellQuote(target.url)} \\\n  --header ${shellQuote(`Authorization: ${header}`)}`,
    },
    {
      client: "VS Code",
      where: ".vscode/mcp.json",
      language: "json",
      text: json({
        servers: {
          [name]: { type: "http", url: target.url, headers: { Authorization: header } },
        },
      }),
    },
    {
      client: "Cursor",
      where: "~/.cursor/mcp.json",
      language: "json",
      text: json({
        mcpServers: {
          [name]: { url: target.url, headers: { Authorization: header } },
        },
      }),
    },
  ];
}
