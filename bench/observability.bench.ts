// The cost of metrics and tracing on the proxy path, in one run: `tools/call`
// through a bare pass-through Worker and through two gateways on the same
// local runtime, one with metrics and tracing off (METRICS_ENABLED=false, no
// OTLP endpoint) and one with both on (every trace sampled and exported to a
// loopback OTLP receiver). Rounds interleave the targets; prints medians and
// each gateway's ratio to the pass-through.
//
//   npm run bench:observability [-- --requests 1000 --concurrency 8 --rounds 3]

import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDemoServer } from "../demo/server.ts";
import { devLogin, newDevSecrets } from "../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../scripts/local-gateway.ts";
import { freePort } from "../scripts/processes.ts";
import { compareTargets, type Target } from "./mcp-load.ts";
import { startPassthroughWorker } from "./wrangler-dev.ts";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
  },
});
const REQUESTS = Number(options.requests);
const CONCURRENCY = Number(options.concurrency);
const ROUNDS = Number(options.rounds);
const WARMUP = 200;

async function main() {
  const demo = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
  let exportedSpans = 0;
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      exportedSpans += (
        Buffer.concat(chunks)
          .toString()
          .match(/"spanId"/g) ?? []
      ).length;
      response.end("{}");
    });
  });
  const receiverPort = await freePort();
  await new Promise<void>((done) => receiver.listen(receiverPort, "127.0.0.1", done));

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
    const registered = await fetch(`${gateway.url}/api/v1/servers`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Demo", path: "demo", endpoints: [{ url: demo.url }] }),
    });
    if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
    return { url: `${gateway.url}/demo/mcp`, headers: { authorization: `Bearer ${token}` } };
  };
  try {
    const off = await startGateway({ METRICS_ENABLED: "false" });
    const on = await startGateway({
      METRICS_ENABLED: "true",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${receiverPort}/v1/traces`,
      OTEL_TRACES_SAMPLER_RATIO: "1",
    });
    await passthrough.ready();
    const plain: Target[] = [
      { name: "bare pass-through Worker", url: `${passthrough.origin}/mcp`, headers: {} },
      { name: "gateway, observability off", ...off },
      { name: "gateway, metrics+tracing on", ...on },
    ];
    const summary = await compareTargets(plain, {
      requests: REQUESTS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      warmup: WARMUP,
    });
    console.log(
      `tools/call word_count, ${REQUESTS} requests x ${ROUNDS} rounds, concurrency ${CONCURRENCY}\n`,
    );
    console.log("target                          req/s     p50 ms   p99 ms   errors");
    for (const row of summary) {
      console.log(
        `${row.name.padEnd(30)} ${row.rps.toFixed(0).padStart(7)} ${row.p50.toFixed(2).padStart(9)} ${row.p99.toFixed(2).padStart(8)} ${String(row.errors).padStart(8)}`,
      );
    }
    const [bare, gwOff, gwOn] = summary;
    if (bare && gwOff && gwOn) {
      const offRatio = gwOff.rps / bare.rps;
      const onRatio = gwOn.rps / bare.rps;
      console.log(`\nreq/s ratio to pass-through: off ${offRatio.toFixed(3)}, on ${onRatio.toFixed(3)}`);
      console.log(`drop with metrics+tracing on: ${(((offRatio - onRatio) / offRatio) * 100).toFixed(1)}%`);
      // Per round (rounds interleave the targets): the spread a shared machine puts on the medians.
      console.log("\nround   pass-through req/s   off req/s   on req/s   off ratio   on ratio   drop");
      for (let round = 0; round < ROUNDS; round++) {
        const [b, f, n] = [bare, gwOff, gwOn].map((row) => row.rounds[round]?.rps ?? Number.NaN);
        const [rb = 0, rf = 0, rn = 0] = [b, f, n];
        console.log(
          `${String(round + 1).padStart(5)} ${rb.toFixed(0).padStart(20)} ${rf.toFixed(0).padStart(11)} ${rn.toFixed(0).padStart(10)} ${(rf / rb).toFixed(3).padStart(11)} ${(rn / rb).toFixed(3).padStart(10)} ${(((rf - rn) / rf) * 100).toFixed(1).padStart(5)}%`,
        );
      }
      console.log(`spans received by the OTLP receiver: ${exportedSpans}`);
    }
  } finally {
    await Promise.allSettled([
      ...gateways.map((gateway) => gateway.stop()),
      passthrough.stop(),
      demo.close(),
    ]);
    receiver.close();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

await main();
