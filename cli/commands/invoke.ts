// mcpgw invoke and broadcast: tool calls through the gateway's MCP endpoints
// with the MCP SDK client (invoke: the server's own /{path}/mcp; broadcast:
// the aggregated /mcp's broadcast__{tool}).
import type { CallToolResult } from "@modelcontextprotocol/client";
import {
  CliError,
  type Command,
  exactArgs,
  listOption,
  stringOption,
  UsageError,
  type Values,
} from "../command.ts";
import { type Context, parseJson } from "../context.ts";
import { endpointUrl, withMcpClient } from "../mcp-connection.ts";
import type { Output } from "../output.ts";
import { listAllServers } from "./servers.ts";

/** The tool's arguments: --args '<json>' or --args-file F (a JSON object either way). */
async function toolArguments(ctx: Context, values: Values): Promise<Record<string, unknown>> {
  const inline = stringOption(values, "args");
  const file = stringOption(values, "args-file");
  if (inline !== undefined && file !== undefined)
    throw new UsageError("give --args or --args-file, not both");
  if (inline === undefined && file === undefined) return {};
  const parsed =
    inline !== undefined
      ? parseJson(inline, "--args")
      : parseJson(await ctx.readInput(file ?? "-"), file ?? "-");
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError(
      `${inline !== undefined ? "--args" : file} must be a JSON object of the tool's arguments`,
    );
  }
  return parsed as Record<string, unknown>;
}

const argumentOptions = {
  args: { type: "string", help: "<json> the tool's arguments as a JSON object" },
  "args-file": { type: "string", help: "<file> read the arguments from a JSON file (- for stdin)" },
} as const;

function contentText(result: CallToolResult): string {
  return result.content.map((block) => (block.type === "text" ? block.text : `[${block.type}]`)).join("\n");
}

function printToolResult(output: Output, result: CallToolResult): void {
  const text = contentText(result);
  if (text) output.line(text);
  else if (result.structuredContent) output.line(JSON.stringify(result.structuredContent, null, 2));
}

const invoke: Command = {
  name: ["invoke"],
  summary: "Call a tool of one server through the gateway (its /<server>/mcp endpoint)",
  args: "<server> <tool>",
  options: argumentOptions,
  details: `Example:\n  mcpgw invoke everything echo --args '{"message": "hi"}'`,
  async run(ctx, positionals, values) {
    const [server = "", tool = ""] = exactArgs(positionals, ["server", "tool"]);
    const args = await toolArguments(ctx, values);
    const url = endpointUrl(await ctx.gateway(), server);
    const result = (await withMcpClient(url, await ctx.token(url), (client) =>
      client.callTool({ name: tool, arguments: args }),
    )) as CallToolResult;
    if (result.isError === true) {
      // The tool's own words are the error message (exit 1); --json still prints the whole result.
      ctx.output.result(result, () => {});
      ctx.output.error(`${tool} reported an error: ${contentText(result) || "(no text)"}`);
      process.exitCode = 1;
      return;
    }
    ctx.output.result(result, () => printToolResult(ctx.output, result));
  },
};

interface BroadcastReport {
  tool: string;
  totals: { servers: number; succeeded: number; failed: number; skipped: number };
  durationMs: number;
  results: {
    server: string;
    ok: boolean;
    durationMs: number;
    error?: { kind: string; message: string };
    result?: CallToolResult;
  }[];
  skipped: { server: string; reason: string }[];
}

const broadcast: Command = {
  name: ["broadcast"],
  summary: "Call one tool on many servers at once (the gateway's broadcast__<tool>)",
  args: "<tool>",
  options: {
    ...argumentOptions,
    tags: { type: "string", help: "<a,b> only servers with one of these tags" },
    servers: { type: "string", help: "<x,y> only these servers (paths)" },
    "timeout-ms": { type: "string", help: "<ms> deadline for all calls together (default 30000)" },
  },
  async run(ctx, positionals, values) {
    const [tool = ""] = exactArgs(positionals, ["tool"]);
    const args = await toolArguments(ctx, values);
    const tags = listOption(values, "tags");
    let servers = listOption(values, "servers");
    if (tags !== undefined) {
      // Tags pick servers through the REST API; --servers narrows them further.
      const api = await ctx.api();
      const tagged = new Set<string>();
      for (const tag of tags)
        for (const server of await listAllServers(api, { tag })) tagged.add(server.path);
      servers = [...tagged].filter((path) => servers === undefined || servers.includes(path));
      if (servers.length === 0) throw new CliError(`no server you may see has the tags ${tags.join(", ")}`);
    }
    const timeout = stringOption(values, "timeout-ms");
    const input: Record<string, unknown> = { arguments: args };
    if (servers !== undefined) input.servers = servers;
    if (timeout !== undefined) input.timeout_ms = Number(timeout);
    const url = endpointUrl(await ctx.gateway());
    const result = (await withMcpClient(url, await ctx.token(url), (client) =>
      client.callTool({ name: `broadcast__${tool}`, arguments: input }),
    )) as CallToolResult;
    const report = result.structuredContent as BroadcastReport | undefined;
    if (!report) {
      // A refusal (unknown tool, bad arguments) comes back as a tool error with text.
      throw new CliError(contentText(result) || `broadcast__${tool} failed`);
    }
    ctx.output.result(report, () => {
      ctx.output.table(report.results, [
        ["SERVER", (row) => row.server],
        ["OK", (row) => (row.ok ? "yes" : "no")],
        ["MS", (row) => row.durationMs],
        ["RESULT", (row) => (row.ok && row.result ? contentText(row.result) : row.error?.message)],
      ]);
      for (const skip of report.skipped) ctx.output.line(`skipped ${skip.server}: ${skip.reason}`);
      const { totals } = report;
      ctx.output.line(
        `${totals.succeeded}/${totals.servers} succeeded, ${totals.failed} failed, ${totals.skipped} skipped in ${report.durationMs} ms`,
      );
    });
    if (report.totals.succeeded === 0) process.exitCode = 1;
  },
};

export const invokeCommands: Command[] = [invoke, broadcast];
