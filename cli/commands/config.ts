// mcpgw config <client>: the configuration a coding assistant needs to reach
// the gateway, printed (exactly what the dashboard's Connect page shows: both
// use dashboard/src/connect-snippets.ts) or merged into the client's file.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import {
  CLIENT_IDS,
  type ClientId,
  type ConnectTarget,
  clientConfig,
  clientSnippet,
  mergeClientConfig,
} from "../../dashboard/src/connect-snippets.ts";
import { CliError, type Command, exactArgs, stringOption, UsageError } from "../command.ts";
import type { Context } from "../context.ts";
import { endpointUrl } from "../mcp-connection.ts";
import { listAllServers } from "./servers.ts";

/** Where --write puts each client's configuration (Claude Code: the project's .mcp.json). */
export function defaultConfigFile(client: ClientId, env: NodeJS.ProcessEnv = process.env): string {
  switch (client) {
    case "vscode":
      return join(".vscode", "mcp.json");
    case "claude-code":
      return ".mcp.json";
    case "cursor":
      return join(homedir(), ".cursor", "mcp.json");
    case "claude-desktop":
      if (process.platform === "darwin") {
        return join(homedir(), "Library", "Application Support", "Claude", "claude_desktop_config.json");
      }
      if (process.platform === "win32") {
        return join(env.APPDATA ?? homedir(), "Claude", "claude_desktop_config.json");
      }
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "Claude", "claude_desktop_config.json");
  }
}

async function targetsFor(
  ctx: Context,
  values: Record<string, unknown>,
  token: string,
): Promise<ConnectTarget[]> {
  const gateway = await ctx.gateway();
  const server = typeof values.server === "string" ? values.server : undefined;
  if (server !== undefined && values.all === true) throw new UsageError("give --server or --all, not both");
  if (values.all === true) {
    const servers = await listAllServers(await ctx.api(), { enabled: "true" });
    if (servers.length === 0) throw new CliError("no enabled server you may see");
    return servers.map((entry) => ({ name: entry.path, url: endpointUrl(gateway, entry.path), token }));
  }
  if (server !== undefined) return [{ name: server, url: endpointUrl(gateway, server), token }];
  const name = typeof values.name === "string" ? values.name : "mcp-gateway";
  return [{ name, url: endpointUrl(gateway), token }];
}

async function writeMerged(client: ClientId, file: string, targets: ConnectTarget[]): Promise<void> {
  let existing: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(await readFile(file, "utf8")) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    existing = parsed as Record<string, unknown>;
  } catch (error) {
    // Never overwrite a file we cannot read as a JSON object: it is the user's.
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new CliError(
        `${file} exists but is not a JSON object (${(error as Error).message}); not changed`,
      );
    }
  }
  await mkdir(dirname(file), { recursive: true });
  // The file holds a bearer token: readable by the user only.
  await writeFile(file, `${JSON.stringify(mergeClientConfig(client, existing, targets), null, 2)}\n`, {
    mode: 0o600,
  });
}

function configCommand(client: ClientId): Command {
  return {
    name: ["config", client],
    summary: `Configuration for ${clientSnippet(client, []).client} (print, or --write into its file)`,
    options: {
      server: {
        type: "string",
        help: "<path> one server's endpoint /<path>/mcp (default: the aggregated /mcp)",
      },
      all: { type: "boolean", help: "one entry per enabled server you may see" },
      name: { type: "string", help: "<name> entry name for the aggregated endpoint (default mcp-gateway)" },
      token: { type: "string", help: "<token> the token to put in it (default: your current one)" },
      write: { type: "boolean", help: `merge it into ${defaultConfigFile(client).replace(homedir(), "~")}` },
      file: { type: "string", help: "<file> with --write: this file instead" },
    },
    async run(ctx, positionals, values) {
      exactArgs(positionals, []);
      const token = stringOption(values, "token") ?? (await ctx.token());
      const targets = await targetsFor(ctx, values, token);
      const snippet = clientSnippet(client, targets);
      if (values.write === true) {
        const file = stringOption(values, "file") ?? defaultConfigFile(client, ctx.env);
        await writeMerged(client, file, targets);
        ctx.output.result({ client, file, names: targets.map((target) => target.name) }, () =>
          ctx.output.line(`Wrote ${targets.length} entr${targets.length === 1 ? "y" : "ies"} to ${file}.`),
        );
        return;
      }
      if (values.file !== undefined) throw new UsageError("--file goes with --write");
      ctx.output.result({ ...snippet, config: clientConfig(client, targets) }, () =>
        ctx.output.line(snippet.text),
      );
      if (!ctx.output.json)
        ctx.output.progress(`# ${snippet.where}${snippet.note ? `\n# ${snippet.note}` : ""}`);
    },
  };
}

export const configCommands: Command[] = CLIENT_IDS.map(configCommand);
