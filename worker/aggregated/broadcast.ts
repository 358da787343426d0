// Broadcast tools of the aggregated endpoint: `broadcast__{tool}` calls a tool
// that the caller may call on two or more servers, `broadcast__by_tag__{tag}`
// calls a named tool on every server carrying a tag (two or more servers).
// The calls run concurrently under one deadline; each server's outcome is
// reported on its own, so one failing server never hides the others.
import type { Tool } from "@modelcontextprotocol/server";
import { z } from "zod";
import { deadline } from "../platform/deadline.ts";
import type { CatalogEntry, ServerRecord } from "../store/registry-store.ts";
import { BROADCAST_BY_TAG_PREFIX, BROADCAST_PREFIX, tagToolSuffix } from "./gateway-names.ts";
import type { GatewayView, ServerView } from "./gateway-view.ts";

export const DEFAULT_BROADCAST_DEADLINE_MS = 30_000;
export const MAX_BROADCAST_DEADLINE_MS = 120_000;
export const MIN_BROADCAST_DEADLINE_MS = 100;

export interface BroadcastTarget {
  server: ServerRecord;
  tool: CatalogEntry;
}

export interface TagGroup {
  tag: string;
  servers: ServerView[];
}

export interface BroadcastGroups {
  /** Upstream tool name -> the servers where the caller may call it (two or more). */
  byTool: Map<string, BroadcastTarget[]>;
  /** Tool-name suffix of a tag -> the tag and its servers (two or more). */
  byTag: Map<string, TagGroup>;
}

/** The broadcast tools a caller gets, from its view of the registry. */
export function broadcastGroups(view: GatewayView): BroadcastGroups {
  const exposed = view.servers.filter((entry) => entry.exposed && entry.tools.length > 0);
  const byTag = new Map<string, TagGroup>();
  for (const entry of exposed) {
    for (const tag of entry.server.tags) {
      const suffix = tagToolSuffix(tag);
      if (suffix === "") continue;
      const group = byTag.get(suffix);
      // Tags that differ only in spelling ("Finance", "finance") share one tool, named after the first.
      if (!group) byTag.set(suffix, { tag, servers: [entry] });
      else if (!group.servers.includes(entry)) group.servers.push(entry);
    }
  }
  for (const [suffix, group] of byTag) if (group.servers.length < 2) byTag.delete(suffix);

  const byTool = new Map<string, BroadcastTarget[]>();
  for (const entry of exposed) {
    for (const tool of entry.tools) {
      const targets = byTool.get(tool.key) ?? [];
      targets.push({ server: entry.server, tool });
      byTool.set(tool.key, targets);
    }
  }
  for (const [name, targets] of byTool) {
    // A tool called `by_tag__x` would collide with the tag broadcast of `x`.
    const collides = `${BROADCAST_PREFIX}${name}`.startsWith(BROADCAST_BY_TAG_PREFIX);
    if (targets.length < 2 || collides) byTool.delete(name);
  }
  return { byTool, byTag };
}

export function broadcastToolDefinitions(groups: BroadcastGroups): Tool[] {
  const tools: Tool[] = [];
  for (const [name, targets] of groups.byTool) {
    const servers = targets.map((target) => target.server.path);
    const shared = sharedInputSchema(targets);
    tools.push({
      name: `${BROADCAST_PREFIX}${name}`,
      title: `Broadcast ${name}`,
      description:
        `Calls the tool "${name}" on every server that offers it (${servers.join(", ")}) at once, ` +
        "with the same arguments, and returns each server's result or error with totals and timings.",
      inputSchema: {
        type: "object",
        properties: {
          arguments: {
            ...(shared ?? { type: "object" }),
            description: `Arguments for "${name}", sent to every server unchanged.`,
          },
          servers: {
            type: "array",
            items: { type: "string", enum: servers },
            description: "Only call these servers (default: all of them).",
          },
          timeout_ms: deadlineSchema(),
        },
        additionalProperties: false,
      } as Tool["inputSchema"],
      annotations: { openWorldHint: true },
    });
  }
  for (const [suffix, group] of groups.byTag) {
    const servers = group.servers.map((entry) => entry.server.path);
    const names = [...new Set(group.servers.flatMap((entry) => entry.tools.map((tool) => tool.key)))].sort();
    tools.push({
      name: `${BROADCAST_BY_TAG_PREFIX}${suffix}`,
      title: `Broadcast to tag ${group.tag}`,
      description:
        `Calls one tool on every server tagged "${group.tag}" (${servers.join(", ")}) at once and returns ` +
        "each server's result or error with totals and timings. Servers without the tool are reported as skipped.",
      inputSchema: {
        type: "object",
        properties: {
          tool: {
            type: "string",
            description: "The tool's name as the servers know it (not prefixed with a server).",
            enum: names,
          },
          arguments: { type: "object", description: "Arguments sent to every server unchanged." },
          timeout_ms: deadlineSchema(),
        },
        required: ["tool"],
        additionalProperties: false,
      },
      annotations: { openWorldHint: true },
    });
  }
  return tools;
}

function deadlineSchema() {
  return {
    type: "integer",
    minimum: MIN_BROADCAST_DEADLINE_MS,
    maximum: MAX_BROADCAST_DEADLINE_MS,
    description: `Deadline for all calls together, in milliseconds (default ${DEFAULT_BROADCAST_DEADLINE_MS}).`,
  };
}

/** The targets' input schema when every server declares the same one (same fingerprint input), else null. */
function sharedInputSchema(targets: BroadcastTarget[]): Record<string, unknown> | null {
  const schemas = targets.map((target) => JSON.stringify(target.tool.definition.inputSchema ?? null));
  const first = targets[0]?.tool.definition.inputSchema;
  if (schemas.some((schema) => schema !== schemas[0]) || typeof first !== "object" || first === null)
    return null;
  return first as Record<string, unknown>;
}

const Deadline = z.int().min(MIN_BROADCAST_DEADLINE_MS).max(MAX_BROADCAST_DEADLINE_MS).optional();
const Arguments = z.record(z.string(), z.unknown()).optional();

export const BroadcastToolInput = z.strictObject({
  arguments: Arguments,
  servers: z.array(z.string()).optional(),
  timeout_ms: Deadline,
});

export const BroadcastTagInput = z.strictObject({
  tool: z.string().min(1),
  arguments: Arguments,
  timeout_ms: Deadline,
});

export type ServerOutcome =
  | { server: string; ok: true; durationMs: number; result: Record<string, unknown> }
  | {
      server: string;
      ok: false;
      durationMs: number;
      /** `tool_error` (the tool answered with isError), or why the call failed. */
      error: { kind: string; message: string; code?: number };
      result?: Record<string, unknown>;
    };

export interface BroadcastReport {
  [key: string]: unknown;
  tool: string;
  tag?: string;
  totals: { servers: number; succeeded: number; failed: number; skipped: number };
  deadlineMs: number;
  durationMs: number;
  results: ServerOutcome[];
  skipped: { server: string; reason: string }[];
}

/** Calls one target; rejects with whatever went wrong (turned into a per-server error). */
export type TargetCall = (target: BroadcastTarget, signal: AbortSignal) => Promise<Record<string, unknown>>;

export type ErrorDescriber = (error: unknown) => { kind: string; message: string; code?: number };

/** Runs `call` on every target at once; each settles on its own, the deadline cancels stragglers. */
export async function runBroadcast(
  targets: BroadcastTarget[],
  call: TargetCall,
  describe: ErrorDescriber,
  options: { deadlineMs: number; signal?: AbortSignal },
): Promise<Pick<BroadcastReport, "results" | "durationMs">> {
  const started = Date.now();
  const timeout = deadline(options.deadlineMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;
  const results = await Promise.all(
    targets.map(async (target): Promise<ServerOutcome> => {
      const begun = Date.now();
      const server = target.server.path;
      try {
        const result = await untilDeadline(call(target, signal), signal);
        const durationMs = Date.now() - begun;
        if (result.isError === true) {
          return {
            server,
            ok: false,
            durationMs,
            error: { kind: "tool_error", message: "the tool reported an error" },
            result,
          };
        }
        return { server, ok: true, durationMs, result };
      } catch (error) {
        const durationMs = Date.now() - begun;
        if (timeout.signal.aborted && !options.signal?.aborted) {
          const message = `no result within the broadcast deadline of ${options.deadlineMs} ms`;
          return { server, ok: false, durationMs, error: { kind: "deadline", message } };
        }
        return { server, ok: false, durationMs, error: describe(error) };
      }
    }),
  ).finally(() => timeout.clear());
  return { results, durationMs: Date.now() - started };
}

/** Rejects as soon as `signal` fires, even if `work` ignores it. */
function untilDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

export function summarize(
  base: { tool: string; tag?: string; deadlineMs: number },
  run: Pick<BroadcastReport, "results" | "durationMs">,
  skipped: { server: string; reason: string }[],
): BroadcastReport {
  const succeeded = run.results.filter((outcome) => outcome.ok).length;
  return {
    tool: base.tool,
    ...(base.tag !== undefined && { tag: base.tag }),
    totals: {
      servers: run.results.length,
      succeeded,
      failed: run.results.length - succeeded,
      skipped: skipped.length,
    },
    deadlineMs: base.deadlineMs,
    durationMs: run.durationMs,
    results: run.results,
    skipped,
  };
}
