// CPU cost per request of the observability and audit work of one proxied
// `tools/call`, in-process and without I/O (a deterministic complement to
// bench:observability, which measures throughput through wrangler dev). It
// replays the hooks a request on /{path}/mcp goes through: the ingress span
// and scope (http/telemetry.ts), authentication and policy spans, the traced
// upstream fetch, the audit trail's event (Auditor.record, with the Worker-log
// line) and the metrics derived from it, then the export queue. The metric
// and span flushes are charged to the requests too: every `--per-flush`
// requests (100: an isolate serving 200 req/s with the 500 ms flush delay)
// the recorder flushes into the production D1MetricsStore over an in-memory
// SQLite (bench/sqlite-database.ts: the SQL D1 would run, without D1's
// transport) and the exporter builds and POSTs its OTLP JSON to a stub. The
// audit log is a stub that only counts (the audit trail is written with
// observability on and off alike). Prints microseconds per request (process
// CPU time, median and minimum of interleaved rounds), and over a baseline
// without any of it, for: audit only (metrics and tracing off), metrics on,
// metrics + tracing at the sampling ratio, and every trace sampled; then the
// SQL statements per metric flush.
//
//   npm run bench:observability-cost [-- --requests 20000 --rounds 7 --ratio 0.1 --per-flush 100]

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { AuditTrail } from "../worker/edge/audit-trail.ts";
import { Auditor, type WaitUntil } from "../worker/observability/audit.ts";
import {
  observeAuthentication,
  observePolicy,
  recordAuthentication,
  tracedFetch,
} from "../worker/observability/hooks.ts";
import { MetricsRecorder } from "../worker/observability/metrics.ts";
import { TraceExporter } from "../worker/observability/otlp-export.ts";
import { beginTrace, parseTraceparent, runInScope } from "../worker/observability/tracing.ts";
import type { AuditEvent } from "../worker/store/audit-log.ts";
import { D1MetricsStore } from "../worker/store/d1/d1-metrics-store.ts";
import { NodeSqlDatabase } from "./sqlite-database.ts";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "20000" },
    rounds: { type: "string", default: "7" },
    ratio: { type: "string", default: "0.1" },
    "per-flush": { type: "string", default: "100" },
  },
});
const PER_FLUSH = Number(options["per-flush"]);
const REQUESTS = Number(options.requests);
const ROUNDS = Number(options.rounds);
const RATIO = Number(options.ratio);

// The Worker-log line of every audit event goes to a sink that drops it (the
// cost measured is building the line, not a terminal's).
const drop = () => {};
console.log = drop as typeof console.log;
const print = (text: string) => process.stdout.write(`${text}\n`);

const pending: Promise<unknown>[] = [];
const waitUntil: WaitUntil = { waitUntil: (promise) => void pending.push(promise) };
// The metric and span flush timers (an hour: they never fire, flushes run every PER_FLUSH requests).
const timers: WaitUntil = { waitUntil: () => {} };
let stored = 0;
// The metric tables of the observability migration, in an in-memory SQLite that counts statements.
const sqlite = new NodeSqlDatabase();
for (const statement of readFileSync(
  new URL("../migrations/0009_observability.sql", import.meta.url),
  "utf8",
).split("--> statement-breakpoint"))
  if (/metric_series|usage_rollups/.test(statement)) sqlite.db.exec(statement);
let statements = 0;
let flushes = 0;
const countingDb = {
  prepare: (query: string) => sqlite.prepare(query),
  batch: (list: Parameters<NodeSqlDatabase["batch"]>[0]) => {
    statements += list.length;
    flushes += 1;
    return sqlite.batch(list);
  },
} as unknown as D1Database;
const metricsStore = new D1MetricsStore(countingDb);
const auditLog = {
  append: async (events: AuditEvent[]) => {
    stored += events.length;
  },
} as unknown as ConstructorParameters<typeof Auditor>[0];
const upstream = (async () => new Response("{}")) as typeof fetch;
const principal = {
  subject: "alice",
  issuer: "https://gateway.example",
  tenant: "default",
  groups: [],
  scopes: [],
  kind: "user" as const,
};
const ARGUMENTS = { text: "the quick brown fox jumps over the lazy dog" };

interface Setup {
  name: string;
  audit: boolean;
  metrics: boolean;
  endpoint: string | null;
  ratio: number;
}

function makeRequest(setup: Setup) {
  // Timers never fire within a round: the flushes are run every PER_FLUSH requests instead (below).
  const metrics = new MetricsRecorder(metricsStore, { enabled: setup.metrics, flushDelayMs: 3_600_000 });
  const tracer = new TraceExporter(
    { endpoint: setup.endpoint, headers: {}, sampleRatio: setup.ratio, serviceName: "bench" },
    (async () => new Response("{}")) as typeof fetch,
    3_600_000,
  );
  const auditor = new Auditor(auditLog, {
    flushDelayMs: 0,
    metrics: { recordAudit: (_ctx, events) => metrics.recordAudit(timers, events) },
  });
  const fetchUpstream = tracedFetch(upstream, { tenant: "default", server: "demo" });
  return async function request(id: number) {
    const trace = beginTrace(parseTraceparent(null), setup.ratio, tracer.exporting);
    const span = trace.start("ingress", null, "server");
    await runInScope({ waitUntil: timers, trace, span, metrics }, async () => {
      await observeAuthentication(async () => principal);
      recordAuthentication(true, "ok");
      await observePolicy(async () => true);
      const audit = new AuditTrail({
        principal,
        requestId: `req-${id}`,
        auditor: setup.audit ? auditor : { record: () => {} },
        waitUntil,
      });
      const note = audit.note(id);
      note.method = "tools/call";
      note.tool = "word_count";
      note.serverId = "srv-1";
      note.serverPath = "demo";
      const response = await fetchUpstream("http://127.0.0.1:9/mcp", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id,
          method: "tools/call",
          params: { name: "word_count", arguments: ARGUMENTS },
        }),
      });
      note.upstreamStatus = response.status;
      audit.record();
    });
    if (trace.recording) {
      span.name = "POST /{path}/mcp";
      span.end(
        { "http.request.method": "POST", "url.path": "/demo/mcp", "http.response.status_code": 200 },
        null,
      );
    }
    tracer.finish(trace, timers);
    if ((id + 1) % PER_FLUSH === 0) await Promise.all([metrics.flush(), tracer.flush()]);
  };
}

/** CPU microseconds per request of one round (process CPU time: being descheduled on a busy machine does not count). */
async function round(request: (id: number) => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  for (let id = 0; id < REQUESTS; id++) await request(id);
  const used = process.cpuUsage(before);
  // Let the batched writes run (their cost is outside the request, as in the Worker).
  await Promise.all(pending.splice(0));
  return (used.user + used.system) / REQUESTS;
}

const OTLP = "http://otel/v1/traces";
const setups: Setup[] = [
  {
    name: "baseline: no audit, metrics, tracing",
    audit: false,
    metrics: false,
    endpoint: null,
    ratio: RATIO,
  },
  { name: "audit only (metrics and tracing off)", audit: true, metrics: false, endpoint: null, ratio: RATIO },
  { name: "audit + metrics, no trace export", audit: true, metrics: true, endpoint: null, ratio: RATIO },
  {
    name: `audit + metrics + tracing, ratio ${RATIO}`,
    audit: true,
    metrics: true,
    endpoint: OTLP,
    ratio: RATIO,
  },
  { name: "audit + metrics + tracing, every trace", audit: true, metrics: true, endpoint: OTLP, ratio: 1 },
];
print(
  `per-request CPU of observability + audit work, ${REQUESTS} requests x ${ROUNDS} rounds, setups interleaved\n`,
);
const requests = setups.map(makeRequest);
for (const request of requests) await round(request); // warms the JIT
const costs: number[][] = setups.map(() => []);
for (let index = 0; index < ROUNDS; index++) {
  for (const [at, request] of requests.entries()) costs[at]?.push(await round(request));
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const baseline = median(costs[0] ?? []);
const baselineMin = Math.min(...(costs[0] ?? []));
print("setup                                    CPU us/request: median  over baseline   min  over baseline");
for (const [at, setup] of setups.entries()) {
  const list = costs[at] ?? [];
  const cost = median(list);
  const least = Math.min(...list);
  print(
    `${setup.name.padEnd(44)} ${cost.toFixed(2).padStart(10)} ${(cost - baseline).toFixed(2).padStart(13)} ${least.toFixed(2).padStart(7)} ${(least - baselineMin).toFixed(2).padStart(13)}`,
  );
}
print(`\n(audit rows handed to the stub log: ${stored})`);
print(
  `metric flushes: ${flushes}, SQL statements per flush ${(statements / Math.max(1, flushes)).toFixed(1)} (every ${PER_FLUSH} requests)`,
);
// The flush timers of the recorders (an hour) would keep the process alive.
process.exit(0);
