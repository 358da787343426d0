// The one load loop of the MCP benchmarks: a bounded closed-loop load of
// `tools/call` requests against one endpoint (after `initialize` when the
// target keeps a session), and the interleaved rounds that compare several
// targets in one run (medians of rounds, so drift on a shared machine hits
// every target alike). Used by bench/proxy.bench.ts and
// bench/observability.bench.ts.
import { percentile } from "./metrics.ts";
import { cpuNanoseconds } from "./process-cpu.ts";

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The tools/call body for request `id`; the demo's `word_count` by default (the name differs on /mcp). */
  body?: (id: number) => string;
  /** Stateless targets (2026-07-28 clients) have no initialize. */
  stateless?: boolean;
  /**
   * The processes serving the target (a `wrangler dev` tree), whose CPU time
   * per request is reported: in total and of the busiest one (the workerd
   * running the Worker, whose one JavaScript thread is what saturates first).
   */
  pids?: number[];
}

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /**
   * CPU time per request, in µs: of the target's serving process (null when
   * unknown) and of this process (the load client, plus the backend when it
   * runs here). CPU time is what a shared machine disturbs least, so it shows
   * what each hop costs when req/s moves with the machine's load.
   */
  serverCpuUs: number | null;
  busiestCpuUs: number | null;
  benchCpuUs: number;
}

/** One failed answer, as much of it as there is to explain it. */
export interface Failure {
  target: string;
  /** Epoch ms when the request was sent and when it failed. */
  sentAt: number;
  failedAt: number;
  /** HTTP status; null when fetch itself threw (connection refused/reset...). */
  status: number | null;
  /** The JSON-RPC error's code and message, when the answer carried one. */
  rpcError: string | null;
  /** The start of the body, or the thrown error's name, message and cause code. */
  excerpt: string;
}

/** One target's medians over the rounds, plus the spread of its req/s across rounds. */
export interface Summary extends Run {
  name: string;
  rounds: Run[];
}

export interface LoadPlan {
  requests: number;
  rounds: number;
  concurrency: number;
  /** Requests per target before the measured rounds (JIT, connection pools, isolates). */
  warmup: number;
}

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

function wordCount(id: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "word_count", arguments: { text: "a b c" } },
  });
}

/** Opens a session (when the target uses one) and returns the target with its session header. */
export async function initialize(target: Target): Promise<Target> {
  if (target.stateless) return target;
  const response = await fetch(target.url, {
    method: "POST",
    headers: { ...target.headers, ...MCP_HEADERS },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      },
    }),
  });
  if (!response.ok)
    throw new Error(`${target.name}: initialize answered ${response.status}: ${await response.text()}`);
  await response.text();
  const session = response.headers.get("mcp-session-id");
  return { ...target, headers: { ...target.headers, ...(session ? { "mcp-session-id": session } : {}) } };
}

/** The JSON-RPC error of an answer body (JSON or one SSE `data:` line), as "code message". */
function rpcErrorOf(text: string): string | null {
  const json = text.startsWith("{") ? text : /^data: (.*)$/m.exec(text)?.[1];
  if (!json) return null;
  try {
    const error = (JSON.parse(json) as { error?: { code?: number; message?: string } }).error;
    return error ? `${error.code} ${error.message}` : null;
  } catch {
    return null;
  }
}

function thrownExcerpt(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return `${error.name}: ${error.message}${cause ? ` (cause: ${cause.code ?? ""} ${cause.message ?? ""})` : ""}`;
}

/**
 * `count` tools/call requests with `concurrency` in flight; an answer without
 * `"words"` is an error, and each one is handed to `onFailure` when given.
 */
export async function load(
  target: Target,
  count: number,
  concurrency: number,
  onFailure?: (failure: Failure) => void,
): Promise<Run> {
  const latencies: number[] = [];
  const body = target.body ?? wordCount;
  const headers = { ...target.headers, ...MCP_HEADERS };
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const id = next++;
      const started = performance.now();
      const sentAt = Date.now();
      const fail = (status: number | null, rpcError: string | null, excerpt: string) => {
        errors += 1;
        onFailure?.({ target: target.name, sentAt, failedAt: Date.now(), status, rpcError, excerpt });
      };
      try {
        const response = await fetch(target.url, { method: "POST", headers, body: body(id) });
        const text = await response.text();
        if (!response.ok || !text.includes('"words"'))
          fail(response.status, rpcErrorOf(text), text.slice(0, 300));
      } catch (error) {
        fail(null, null, thrownExcerpt(error));
      }
      latencies.push(performance.now() - started);
    }
  };
  const pids = target.pids ?? [];
  const serverBefore = pids.map(cpuNanoseconds);
  const benchBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const serverSpent = pids.map((pid, index) => {
    const after = cpuNanoseconds(pid);
    const before = serverBefore[index];
    return after === null || before === null || before === undefined ? 0 : (after - before) / 1000 / count;
  });
  const bench = process.cpuUsage(benchBefore);
  return {
    rps: count / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    serverCpuUs: pids.length > 0 ? serverSpent.reduce((sum, spent) => sum + spent, 0) : null,
    busiestCpuUs: pids.length > 0 ? Math.max(...serverSpent) : null,
    benchCpuUs: (bench.user + bench.system) / count,
  };
}

/**
 * Initializes every target, warms each up, then runs `rounds` rounds, each
 * loading every target in turn, and returns each target's medians of rounds
 * (errors summed), in the targets' order.
 */
export async function compareTargets(targets: Target[], plan: LoadPlan): Promise<Summary[]> {
  const ready = await Promise.all(targets.map(initialize));
  const runs = ready.map((): Run[] => []);
  for (const target of ready) await load(target, plan.warmup, plan.concurrency);
  for (let round = 0; round < plan.rounds; round++) {
    for (const [index, target] of ready.entries())
      runs[index]?.push(await load(target, plan.requests, plan.concurrency));
  }
  const median = (values: number[]) => percentile(values, 50);
  return ready.map((target, index) => {
    const list = runs[index] ?? [];
    return {
      name: target.name,
      rps: median(list.map((run) => run.rps)),
      p50: median(list.map((run) => run.p50)),
      p99: median(list.map((run) => run.p99)),
      errors: list.reduce((sum, run) => sum + run.errors, 0),
      serverCpuUs: list.some((run) => run.serverCpuUs === null)
        ? null
        : median(list.map((run) => run.serverCpuUs ?? 0)),
      busiestCpuUs: list.some((run) => run.busiestCpuUs === null)
        ? null
        : median(list.map((run) => run.busiestCpuUs ?? 0)),
      benchCpuUs: median(list.map((run) => run.benchCpuUs)),
      rounds: list,
    };
  });
}
