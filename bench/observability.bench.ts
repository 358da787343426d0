// The cost of metrics and tracing on the proxy path, in one run: `tools/call`
// on /{path}/mcp through a bare pass-through Worker and through two gateways
// on the same local runtime, one with metrics and tracing off
// (METRICS_ENABLED=false, no OTLP endpoint) and one with both on (OTLP export
// to a receiver in its own process, bench/otlp-receiver.ts, so decoding the
// exports is not charged to the load generator). Tracing samples at
// OTEL_TRACES_SAMPLER_RATIO (`--sample-ratio`, default the product's default
// 0.1; the load carries no traceparent, so the ratio decides every trace).
//
// Each round loads every target once, in an order rotated round by round (no
// target always runs first or right after another); each round gives its own
// ratios to the pass-through and drop, and the table shows their median and
// spread, so the noise of a shared machine can be told from the effect.
//
//   npm run bench:observability [-- --requests 1000 --concurrency 8 --rounds 6 --sample-ratio 0.1]

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDemoServer } from "../demo/server.ts";
import { devLogin, newDevSecrets } from "../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../scripts/local-gateway.ts";
import { freePort, httpAnswers, startProcess, waitFor } from "../scripts/processes.ts";
import { registerDemo } from "./gateway-targets.ts";
import { initialize, load, type Run, type Target } from "./mcp-load.ts";
import { percentile } from "./metrics.ts";
import { startPassthroughWorker } from "./wrangler-dev.ts";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "8" },
    rounds: { type: "string", default: "6" },
    "sample-ratio": { type: "string", default: "0.1" },
  },
});
const REQUESTS = Number(options.requests);
const CONCURRENCY = Number(options.concurrency);
const ROUNDS = Number(options.rounds);
const SAMPLE_RATIO = options["sample-ratio"];
const WARMUP = 200;
const HERE = dirname(fileURLToPath(import.meta.url));

async function main() {
  const demo = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
  const receiverPort = await freePort();
  const receiverUrl = `http://127.0.0.1:${receiverPort}`;
  const receiver = startProcess(process.execPath, [join(HERE, "otlp-receiver.ts"), String(receiverPort)]);
  await waitFor("OTLP receiver", () => httpAnswers(`${receiverUrl}/count`), { process: receiver });

  const passthrough = await startPassthroughWorker(new URL(demo.url).origin);

  const dirs: string[] = [];
  const gateways: LocalGateway[] = [];
  const startGateway = async (vars: Record<string, string>) => {
    const secrets = newDevSecrets();
    const persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-obs-bench-"));
    dirs.push(persistDir);
    const gateway = await startLocalGateway({
      port: await freePort(),
      persistDir,
      secrets: { ...secrets },
      vars,
    });
    gateways.push(gateway);
    const token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
    await registerDemo(gateway.url, token, demo.url);
    return { url: `${gateway.url}/demo/mcp`, headers: { authorization: `Bearer ${token}` } };
  };
  try {
    const off = await startGateway({ METRICS_ENABLED: "false" });
    const on = await startGateway({
      METRICS_ENABLED: "true",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiverUrl}/v1/traces`,
      OTEL_TRACES_SAMPLER_RATIO: SAMPLE_RATIO,
    });
    await passthrough.ready();
    const targets: Target[] = await Promise.all(
      [
        { name: "bare pass-through Worker", url: `${passthrough.origin}/mcp`, headers: {} },
        { name: "gateway, observability off", ...off },
        { name: "gateway, metrics+tracing on", ...on },
      ].map(initialize),
    );
    for (const target of targets) await load(target, WARMUP, CONCURRENCY);
    const runs: Run[][] = targets.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (let step = 0; step < targets.length; step++) {
        const index = (step + round) % targets.length;
        runs[index]?.push(await load(targets[index] as Target, REQUESTS, CONCURRENCY));
      }
    }
    const received = (await (await fetch(`${receiverUrl}/count`)).json()) as {
      spans: number;
      exports: number;
    };
    report(targets, runs, received);
  } finally {
    await Promise.allSettled([
      ...gateways.map((gateway) => gateway.stop()),
      passthrough.stop(),
      demo.close(),
      receiver.stop(),
    ]);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

function report(targets: Target[], runs: Run[][], received: { spans: number; exports: number }) {
  const median = (values: number[]) => percentile(values, 50);
  const fixed = (value: number, digits: number, width: number) => value.toFixed(digits).padStart(width);
  console.log(
    `tools/call word_count on /{path}/mcp, ${REQUESTS} requests x ${ROUNDS} rounds per target, concurrency ${CONCURRENCY}`,
  );
  console.log(
    `on: METRICS_ENABLED=true, OTLP/HTTP export to a receiver in its own process, OTEL_TRACES_SAMPLER_RATIO=${SAMPLE_RATIO}`,
  );
  console.log("    (parent-based; the load sends no traceparent, so the ratio decides every trace)");
  console.log("off: METRICS_ENABLED=false, no OTLP endpoint (the audit trail is written in both)\n");
  console.log("target                          req/s (median)   p50 ms   p99 ms   errors");
  for (const [index, target] of targets.entries()) {
    const list = runs[index] ?? [];
    console.log(
      `${target.name.padEnd(30)} ${fixed(median(list.map((run) => run.rps)), 0, 15)} ${fixed(median(list.map((run) => run.p50)), 2, 8)} ${fixed(median(list.map((run) => run.p99)), 2, 8)} ${String(list.reduce((sum, run) => sum + run.errors, 0)).padStart(8)}`,
    );
  }
  const [bare = [], gwOff = [], gwOn = []] = runs;
  const rows = bare.map((b, round) => {
    const offRatio = (gwOff[round]?.rps ?? Number.NaN) / b.rps;
    const onRatio = (gwOn[round]?.rps ?? Number.NaN) / b.rps;
    return {
      bare: b.rps,
      off: gwOff[round]?.rps ?? 0,
      on: gwOn[round]?.rps ?? 0,
      offRatio,
      onRatio,
      drop: (1 - onRatio / offRatio) * 100,
    };
  });
  console.log("\nround  order  pass-through req/s  off req/s  on req/s  off ratio  on ratio    drop");
  for (const [round, row] of rows.entries()) {
    const order = Array.from({ length: 3 }, (_, step) => "POF"[(step + round) % 3]).join("");
    console.log(
      `${String(round + 1).padStart(5)}  ${order.padStart(5)} ${fixed(row.bare, 0, 19)} ${fixed(row.off, 0, 10)} ${fixed(row.on, 0, 9)} ${fixed(row.offRatio, 3, 10)} ${fixed(row.onRatio, 3, 9)} ${fixed(row.drop, 1, 6)}%`,
    );
  }
  console.log("       (order: P pass-through, O off, F on)");
  const drops = rows.map((row) => row.drop);
  const mean = drops.reduce((sum, value) => sum + value, 0) / drops.length;
  const sd = Math.sqrt(
    drops.reduce((sum, value) => sum + (value - mean) ** 2, 0) / Math.max(1, drops.length - 1),
  );
  const offRatio = median(rows.map((row) => row.offRatio));
  const onRatio = median(rows.map((row) => row.onRatio));
  console.log(
    `\nreq/s ratio to pass-through (median of rounds): off ${offRatio.toFixed(3)}, on ${onRatio.toFixed(3)}`,
  );
  console.log(
    `drop with metrics+tracing on: median of rounds ${median(drops).toFixed(1)}%, mean ${mean.toFixed(1)}% ± ${(
      (2 * sd) / Math.sqrt(drops.length)
    ).toFixed(
      1,
    )}% (2 standard errors), per-round sd ${sd.toFixed(1)}%, range ${Math.min(...drops).toFixed(1)}% .. ${Math.max(...drops).toFixed(1)}%`,
  );
  console.log(
    `spans received by the OTLP receiver: ${received.spans} in ${received.exports} exports (sampling ${SAMPLE_RATIO})`,
  );
}

await main();
