// The cost of metrics and tracing on the proxy path, in one run: `tools/call`
// on /{path}/mcp through a bare pass-through Worker and through two gateways
// on the same local runtime, one with metrics and tracing off
// (METRICS_ENABLED=false, no OTLP endpoint) and one with both on (OTLP export
// to a receiver in its own process, bench/otlp-receiver.ts). Tracing samples
// at OTEL_TRACES_SAMPLER_RATIO (`--sample-ratio`, default the product's
// default 0.1; the load carries no traceparent, so the ratio decides every
// trace). The figure checked is issue 16's: how much the gateway's req/s
// ratio to the pass-through drops when metrics and tracing are on (<= 2%).
//
// Design (a paired one, so a drift of the shared machine cancels out):
// many short blocks; each loads the two gateways in ABBA order (off, on, on,
// off; the next block on, off, off, on) between two short loads of the
// pass-through, so every block has its own ratios to a pass-through measured
// right next to it. A block's drop is 1 - (on ratio / off ratio), which is
// 1 - on/off because both ratios divide by the same pass-through figure; ABBA
// cancels a linear drift inside the block. After each gateway load the run
// waits `--settle-ms` (longer than the 500 ms metric and export delay) so
// the work a gateway defers after its responses does not land in the next
// target's load; its CPU is still charged to it (below).
// The verdict is the median of the blocks' drops with a 95% bootstrap
// interval. A first block is run and discarded (warm-up).
//
// Besides req/s, each target's process CPU per request (workerd's threads,
// from /proc: the Worker's isolate, its D1 and Durable Objects, its deferred
// flushes and exports) is measured over the same loads; on a busy machine
// CPU time is far less disturbed than throughput.
//
// `--aa` replaces the "on" gateway with a second identical "off" gateway: an
// A/A run that must show a drop near 0 with a narrow interval (the method's
// own noise). Every failed answer is kept (target, time, status, JSON-RPC
// error, body excerpt) and summarised with the gateways' error log lines.
//
// Segments are sized from the warm-up's throughput (`--segment-seconds`
// per gateway load, half of it per pass-through load) unless `--requests`
// / `--passthrough-requests` fix them; the run stops after `--blocks`
// blocks or `--max-minutes` of measuring, whichever comes first.
//
//   npm run bench:observability [-- --blocks 60 --max-minutes 9 --segment-seconds 2 --concurrency 8
//                                   --sample-ratio 0.1 --settle-ms 700 --aa]

import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDemoServer } from "../demo/server.ts";
import { devLogin, newDevSecrets } from "../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../scripts/local-gateway.ts";
import { freePort, httpAnswers, startProcess, waitFor } from "../scripts/processes.ts";
import { registerDemo } from "./gateway-targets.ts";
import { type Failure, initialize, load, type Target } from "./mcp-load.ts";
import { bootstrapInterval, mean, median, standardDeviation } from "./paired-stats.ts";
import { cpuNanoseconds, pidListeningOn } from "./process-cpu.ts";
import { startPassthroughWorker } from "./wrangler-dev.ts";

const { values: options } = parseArgs({
  options: {
    blocks: { type: "string", default: "60" },
    "segment-seconds": { type: "string", default: "2" },
    requests: { type: "string" },
    "passthrough-requests": { type: "string" },
    concurrency: { type: "string", default: "8" },
    "sample-ratio": { type: "string", default: "0.1" },
    "settle-ms": { type: "string", default: "700" },
    "max-minutes": { type: "string", default: "9" },
    aa: { type: "boolean", default: false },
  },
});
const BLOCKS = Number(options.blocks);
const SEGMENT_SECONDS = Number(options["segment-seconds"]);
const CONCURRENCY = Number(options.concurrency);
const SAMPLE_RATIO = options["sample-ratio"];
const SETTLE_MS = Number(options["settle-ms"]);
const MAX_MS = Number(options["max-minutes"]) * 60_000;
const AA = options.aa;
const TARGET_DROP = 2;
const HERE = dirname(fileURLToPath(import.meta.url));

/** A load target with the process serving it (for its CPU time). */
interface Measured {
  target: Target;
  pid: number | null;
}

/** One load of one target. */
interface Segment {
  requests: number;
  seconds: number;
  /** Process CPU ns over the load and the settle pause after it; null when unknown. */
  cpuNs: number | null;
  errors: number;
}

interface Block {
  order: string;
  passBefore: Segment;
  passAfter: Segment;
  a: Segment[];
  b: Segment[];
}

let REQUESTS = 0;
let PASSTHROUGH_REQUESTS = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const load1 = () => loadavg()[0]?.toFixed(2) ?? "?";

async function main() {
  const startedAt = Date.now();
  const loadAtStart = loadavg().map((value) => value.toFixed(2));
  const demo = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
  const receiverPort = await freePort();
  const receiverUrl = `http://127.0.0.1:${receiverPort}`;
  const receiver = startProcess(process.execPath, [join(HERE, "otlp-receiver.ts"), String(receiverPort)]);
  await waitFor("OTLP receiver", () => httpAnswers(`${receiverUrl}/count`), { process: receiver });

  const passthrough = await startPassthroughWorker(new URL(demo.url).origin);

  const dirs: string[] = [];
  const gateways: { name: string; gateway: LocalGateway }[] = [];
  const startGateway = async (name: string, vars: Record<string, string>): Promise<Measured> => {
    const secrets = newDevSecrets();
    const persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-obs-bench-"));
    dirs.push(persistDir);
    const port = await freePort();
    const gateway = await startLocalGateway({ port, persistDir, secrets: { ...secrets }, vars });
    gateways.push({ name, gateway });
    const token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
    await registerDemo(gateway.url, token, demo.url);
    const target = await initialize({
      name,
      url: `${gateway.url}/demo/mcp`,
      headers: { authorization: `Bearer ${token}` },
    });
    return { target, pid: pidListeningOn(port)?.pid ?? null };
  };
  const failures: (Failure & { segment: string })[] = [];
  try {
    const OFF = { METRICS_ENABLED: "false" };
    const ON = {
      METRICS_ENABLED: "true",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiverUrl}/v1/traces`,
      OTEL_TRACES_SAMPLER_RATIO: SAMPLE_RATIO,
    };
    const a = await startGateway("gateway, observability off", OFF);
    const b = AA
      ? await startGateway("gateway #2, observability off (A/A)", OFF)
      : await startGateway("gateway, metrics+tracing on", ON);
    await passthrough.ready();
    const passPort = Number(new URL(passthrough.origin).port);
    const pass: Measured = {
      target: { name: "bare pass-through Worker", url: `${passthrough.origin}/mcp`, headers: {} },
      pid: pidListeningOn(passPort)?.pid ?? null,
    };

    let label = "warm-up";
    const run = async (measured: Measured, requests: number, settle: boolean): Promise<Segment> => {
      const before = measured.pid ? cpuNanoseconds(measured.pid) : null;
      const started = performance.now();
      const result = await load(measured.target, requests, CONCURRENCY, (failure) =>
        failures.push({ ...failure, segment: label }),
      );
      const seconds = (performance.now() - started) / 1000;
      if (settle) await sleep(SETTLE_MS);
      const after = measured.pid ? cpuNanoseconds(measured.pid) : null;
      return {
        requests,
        seconds,
        cpuNs: before !== null && after !== null ? after - before : null,
        errors: result.errors,
      };
    };
    const runBlock = async (index: number, passBefore: Segment): Promise<Block> => {
      const abba = index % 2 === 0;
      const order = abba ? [a, b, b, a] : [b, a, a, b];
      const block: Block = { order: abba ? "ABBA" : "BAAB", passBefore, passAfter: passBefore, a: [], b: [] };
      for (const [step, measured] of order.entries()) {
        label = `block ${index} step ${step + 1} (${measured.target.name})`;
        const segment = await run(measured, REQUESTS, true);
        (measured === a ? block.a : block.b).push(segment);
      }
      label = `block ${index} pass-through`;
      block.passAfter = await run(pass, PASSTHROUGH_REQUESTS, false);
      return block;
    };

    // Warm-up loads, which also size the segments: a gateway load lasts about
    // --segment-seconds, a pass-through load half as long (same count for both gateways).
    const warm = [0, 0, 0];
    for (const [index, measured] of [pass, a, b].entries()) {
      const segment = await run(measured, 200, true);
      warm[index] = segment.requests / segment.seconds;
    }
    REQUESTS = Number(
      options.requests ?? Math.max(50, Math.round(Math.min(warm[1] ?? 0, warm[2] ?? 0) * SEGMENT_SECONDS)),
    );
    PASSTHROUGH_REQUESTS = Number(
      options["passthrough-requests"] ?? Math.max(50, Math.round(((warm[0] ?? 0) * SEGMENT_SECONDS) / 2)),
    );
    let passBefore = await run(pass, PASSTHROUGH_REQUESTS, false);
    passBefore = (await runBlock(0, passBefore)).passAfter; // a whole block of warm-up, discarded
    const measuringFrom = Date.now();
    const blocks: Block[] = [];
    for (let index = 1; index <= BLOCKS && Date.now() - measuringFrom < MAX_MS; index++) {
      const block = await runBlock(index, passBefore);
      blocks.push(block);
      passBefore = block.passAfter;
      if (index % 10 === 0)
        process.stderr.write(
          `  ${index} blocks, ${((Date.now() - measuringFrom) / 1000).toFixed(0)} s, load ${load1()}\n`,
        );
    }
    const received = (await (await fetch(`${receiverUrl}/count`)).json()) as {
      spans: number;
      exports: number;
    };
    report({ a, b, pass }, blocks, received);
    reportFailures(failures, gateways, startedAt);
    console.log(
      `\nload average: at start ${loadAtStart.join(", ")}; at end ${loadavg()
        .map((value) => value.toFixed(2))
        .join(", ")} (1, 5, 15 min); run took ${((Date.now() - startedAt) / 60_000).toFixed(1)} min`,
    );
  } finally {
    await Promise.allSettled([
      ...gateways.map(({ gateway }) => gateway.stop()),
      passthrough.stop(),
      demo.close(),
      receiver.stop(),
    ]);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

function rps(segments: Segment[]): number {
  return segments.reduce((sum, s) => sum + s.requests, 0) / segments.reduce((sum, s) => sum + s.seconds, 0);
}

/** Process CPU microseconds per request over the segments; NaN when unknown. */
function cpuPerRequest(segments: Segment[]): number {
  if (segments.some((s) => s.cpuNs === null)) return Number.NaN;
  return (
    segments.reduce((sum, s) => sum + (s.cpuNs ?? 0), 0) /
    1000 /
    segments.reduce((sum, s) => sum + s.requests, 0)
  );
}

function report(
  targets: Record<"a" | "b" | "pass", Measured>,
  blocks: Block[],
  received: { spans: number; exports: number },
) {
  const pct = (value: number, digits = 2) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}%`;
  const fixed = (value: number, digits: number, width: number) => value.toFixed(digits).padStart(width);
  const rows = blocks.map((block) => {
    const pass = Math.sqrt(rps([block.passBefore]) * rps([block.passAfter]));
    const aRps = rps(block.a);
    const bRps = rps(block.b);
    const cpuA = cpuPerRequest(block.a);
    const cpuB = cpuPerRequest(block.b);
    return {
      order: block.order,
      pass,
      aRps,
      bRps,
      aRatio: aRps / pass,
      bRatio: bRps / pass,
      drop: (1 - bRps / pass / (aRps / pass)) * 100,
      cpuA,
      cpuB,
      cpuPass: cpuPerRequest([block.passBefore, block.passAfter]),
      // The throughput drop a CPU-bound isolate would show: 1 - cpu(A)/cpu(B).
      cpuDrop: (1 - cpuA / cpuB) * 100,
    };
  });
  const A = targets.a.target.name;
  const B = targets.b.target.name;
  console.log(
    `tools/call word_count on /{path}/mcp, concurrency ${CONCURRENCY}; ${rows.length} blocks (after one discarded), each:` +
      ` pass-through ${PASSTHROUGH_REQUESTS} req, then A B B A (or B A A B) ${REQUESTS} req each, ${SETTLE_MS} ms pause after each gateway load`,
  );
  console.log(`A: ${A}: METRICS_ENABLED=false, no OTLP endpoint (the audit trail is written in both)`);
  console.log(
    AA
      ? `B: ${B}: the same configuration as A (A/A run: the method's own noise)`
      : `B: ${B}: METRICS_ENABLED=true, OTLP/HTTP export to a receiver in its own process, OTEL_TRACES_SAMPLER_RATIO=${SAMPLE_RATIO} (parent-based; the load sends no traceparent)`,
  );
  console.log(
    `CPU: process CPU per request of each target's workerd (pid ${targets.pass.pid ?? "?"} pass-through, ${targets.a.pid ?? "?"} A, ${targets.b.pid ?? "?"} B), deferred work included\n`,
  );
  console.log(
    "block order  pass req/s  A req/s  B req/s  A ratio  B ratio    drop   A cpu us  B cpu us  cpu drop",
  );
  for (const [index, row] of rows.entries()) {
    console.log(
      `${String(index + 1).padStart(5)} ${row.order.padStart(5)} ${fixed(row.pass, 0, 11)} ${fixed(row.aRps, 0, 8)} ${fixed(row.bRps, 0, 8)} ${fixed(row.aRatio, 3, 8)} ${fixed(row.bRatio, 3, 8)} ${pct(row.drop, 1).padStart(7)} ${fixed(row.cpuA, 0, 10)} ${fixed(row.cpuB, 0, 9)} ${pct(row.cpuDrop, 1).padStart(9)}`,
    );
  }
  const drops = rows.map((row) => row.drop);
  const cpuDrops = rows.map((row) => row.cpuDrop).filter((value) => Number.isFinite(value));
  const [low, high] = bootstrapInterval(drops, median);
  const [cpuLow, cpuHigh] = bootstrapInterval(cpuDrops, median);
  const sd = standardDeviation(drops);
  console.log(
    `\nper target (median of blocks): pass-through ${median(rows.map((r) => r.pass)).toFixed(0)} req/s, ${median(rows.map((r) => r.cpuPass)).toFixed(0)} us CPU/request;` +
      ` A ${median(rows.map((r) => r.aRps)).toFixed(0)} req/s (ratio ${median(rows.map((r) => r.aRatio)).toFixed(3)}), ${median(rows.map((r) => r.cpuA)).toFixed(0)} us CPU/request;` +
      ` B ${median(rows.map((r) => r.bRps)).toFixed(0)} req/s (ratio ${median(rows.map((r) => r.bRatio)).toFixed(3)}), ${median(rows.map((r) => r.cpuB)).toFixed(0)} us CPU/request`,
  );
  console.log(
    `drop of the ratio to the pass-through, B vs A: median ${pct(median(drops))}, 95% bootstrap interval [${pct(low)}, ${pct(high)}];` +
      ` mean ${pct(mean(drops))} ± ${((1.96 * sd) / Math.sqrt(drops.length)).toFixed(2)}%; per-block sd ${sd.toFixed(1)}%, range ${pct(Math.min(...drops), 1)} .. ${pct(Math.max(...drops), 1)}`,
  );
  if (cpuDrops.length > 0)
    console.log(
      `CPU-equivalent drop (1 - CPU/request A / B): median ${pct(median(cpuDrops))}, 95% bootstrap interval [${pct(cpuLow)}, ${pct(cpuHigh)}]`,
    );
  if (!AA)
    console.log(
      `spans received by the OTLP receiver: ${received.spans} in ${received.exports} exports (sampling ${SAMPLE_RATIO})`,
    );
  const interval = `[${pct(low)}, ${pct(high)}]`;
  if (AA) {
    const ok = low <= 0 && high >= 0 && high - low <= 2;
    console.log(
      `\nVERDICT (A/A): drop ${pct(median(drops))}, 95% interval ${interval}, width ${(high - low).toFixed(2)} points: ${
        ok
          ? "method OK (contains 0, narrower than 2 points)"
          : "method NOT OK on this run (interval misses 0 or is wider than 2 points)"
      }; load average now ${load1()}`,
    );
  } else {
    const verdict =
      high <= TARGET_DROP
        ? "TARGET MET"
        : low > TARGET_DROP
          ? "TARGET NOT MET"
          : "INCONCLUSIVE (the interval contains 2%)";
    console.log(
      `\nVERDICT: the ratio to the pass-through drops by ${pct(median(drops))} with metrics+tracing on (median of ${drops.length} blocks, 95% interval ${interval}); target <= ${TARGET_DROP}%: ${verdict}; load average now ${load1()}`,
    );
  }
}

function reportFailures(
  failures: (Failure & { segment: string })[],
  gateways: { name: string; gateway: LocalGateway }[],
  startedAt: number,
) {
  console.log(`\nfailed answers: ${failures.length}`);
  if (failures.length === 0) return;
  const groups = new Map<string, number>();
  for (const failure of failures) {
    const key = `${failure.target} | ${failure.status ?? "no answer"} | ${failure.rpcError ?? failure.excerpt.slice(0, 120)}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  for (const [key, count] of groups) console.log(`${String(count).padStart(6)} x ${key}`);
  console.log("first 20 (seconds since start, segment, status, JSON-RPC error, excerpt):");
  for (const failure of failures.slice(0, 20)) {
    console.log(
      `  ${((failure.failedAt - startedAt) / 1000).toFixed(1)}s (sent ${((failure.sentAt - startedAt) / 1000).toFixed(1)}s) ${failure.segment} | ${failure.status ?? "no answer"} | ${failure.rpcError ?? "-"} | ${failure.excerpt.replace(/\s+/g, " ").slice(0, 200)}`,
    );
  }
  for (const { name, gateway } of gateways) {
    const lines = gateway
      .output()
      .split("\n")
      .filter((line) => /error|exception|✘|uncaught|exceeded/i.test(line));
    if (lines.length === 0) continue;
    console.log(`${name}: last error lines of wrangler's output:`);
    for (const line of lines.slice(-15)) console.log(`  ${line.slice(0, 300)}`);
  }
}

await main();
