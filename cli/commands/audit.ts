// mcpgw audit list|export: the audit log (GET /api/v1/audit and its streamed
// export). Both take the same filters; export writes NDJSON or CSV as it
// arrives, to stdout or a file.
import { createWriteStream } from "node:fs";
import {
  type Command,
  exactArgs,
  type OptionSpec,
  stringOption,
  UsageError,
  type Values,
} from "../command.ts";

interface AuditEvent {
  occurredAt: string;
  category: string;
  subject: string | null;
  method: string | null;
  serverPath: string | null;
  tool: string | null;
  decision: string;
  outcome: string;
}

const FILTERS = [
  "from",
  "to",
  "category",
  "subject",
  "server",
  "tool",
  "method",
  "decision",
  "outcome",
] as const;

const filterOptions: Record<string, OptionSpec> = {
  from: { type: "string", help: "<time> events at or after this ISO 8601 time" },
  to: { type: "string", help: "<time> events before this time" },
  category: { type: "string", help: "<mcp|admin|auth>" },
  subject: { type: "string", help: "<subject> who acted" },
  server: { type: "string", help: "<id|path> a server" },
  tool: { type: "string", help: "<name> a tool" },
  method: { type: "string", help: "<name> a JSON-RPC method or admin action, e.g. servers.update" },
  decision: { type: "string", help: "<allow|deny>" },
  outcome: { type: "string", help: "<outcome> e.g. ok, denied, error" },
};

function filters(values: Values): Record<string, string | undefined> {
  return Object.fromEntries(FILTERS.map((name) => [name, stringOption(values, name)]));
}

const list: Command = {
  name: ["audit", "list"],
  summary: "List audit events, newest first (needs view_audit)",
  options: {
    ...filterOptions,
    limit: { type: "string", help: "<n> events per page (default 50)" },
    cursor: { type: "string", help: "<cursor> the next page, as printed by the previous one" },
  },
  details: "Example:\n  mcpgw audit list --category admin --from 2026-12-01T00:00:00Z",
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const page = await (await ctx.api()).request<{ items: AuditEvent[]; nextCursor: string | null }>(
      "/audit",
      {
        query: {
          ...filters(values),
          limit: stringOption(values, "limit") ?? 50,
          cursor: stringOption(values, "cursor"),
        },
      },
    );
    ctx.output.result(page, () => {
      ctx.output.table(
        page.items,
        [
          ["TIME", (event) => event.occurredAt],
          ["CATEGORY", (event) => event.category],
          ["SUBJECT", (event) => event.subject],
          ["ACTION", (event) => event.method],
          ["SERVER", (event) => event.serverPath],
          ["TOOL", (event) => event.tool],
          ["DECISION", (event) => event.decision],
          ["OUTCOME", (event) => event.outcome],
        ],
        "No events.",
      );
      if (page.nextCursor) ctx.output.progress(`More: --cursor ${page.nextCursor}`);
    });
  },
};

const exportAudit: Command = {
  name: ["audit", "export"],
  summary: "Export matching audit events as NDJSON or CSV, streamed (needs view_audit)",
  options: {
    ...filterOptions,
    format: { type: "string", help: "<ndjson|csv> (default ndjson)" },
    output: { type: "string", short: "o", help: "<file> write to this file instead of stdout" },
  },
  details: "Example:\n  mcpgw audit export --format csv --category auth -o auth.csv",
  async run(ctx, positionals, values) {
    exactArgs(positionals, []);
    const format = stringOption(values, "format") ?? "ndjson";
    if (format !== "ndjson" && format !== "csv") throw new UsageError("--format must be ndjson or csv");
    const body = await (await ctx.api()).stream("/audit/export", { query: { ...filters(values), format } });
    const file = stringOption(values, "output");
    const sink = file === undefined ? null : createWriteStream(file);
    const decoder = new TextDecoder();
    for await (const chunk of body) {
      if (sink) sink.write(chunk);
      else ctx.output.write(decoder.decode(chunk, { stream: true }));
    }
    if (sink) {
      await new Promise<void>((resolve, reject) =>
        sink.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      ctx.output.progress(`Wrote ${file}.`);
    } else {
      ctx.output.write(decoder.decode());
    }
  },
};

export const auditCommands: Command[] = [list, exportAudit];
