// What the permit path (worker/resilience/lease.ts: rate limits, circuit and
// health state, replica choice, outcome report) adds to a request: the same
// Worker route with and without a permit, on the local runtime (wrangler dev,
// real Durable Objects), in one run. Prints median and p99 per mode and the
// added latency against the baseline.
//
//   npm run bench:permit [-- --requests 2000 --rounds 3 --concurrency 1]
//
// Modes (bench/permit-worker.ts): baseline (no permit); cached (state from the
// isolate cache, the default); uncached (a ServerState round trip every
// request); rate-limit (cached, plus an exact per-identity limit: a
// RateLimiter round trip every request).
import { parseArgs } from "node:util";
import { percentile } from "./metrics.ts";
import { startBenchWorker } from "./wrangler-dev.ts";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "1" },
  },
});
const REQUESTS = Number(options.requests);
const ROUNDS = Number(options.rounds);
const CONCURRENCY = Number(options.concurrency);
const WARMUP = 300;
const MODES = ["baseline", "cached", "uncached", "rate-limit"] as const;
type Mode = (typeof MODES)[number];

/**
 * Requests of all modes interleaved one by one (the order rotating), so load
 * from other processes on a shared machine hits every mode alike.
 */
async function load(
  base: string,
  count: number,
): Promise<{ latencies: Map<Mode, number[]>; errors: number }> {
  const latencies = new Map<Mode, number[]>(MODES.map((mode) => [mode, []]));
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const turn = next++;
      for (let offset = 0; offset < MODES.length; offset++) {
        const mode = MODES[(turn + offset) % MODES.length] as Mode;
        const started = performance.now();
        try {
          const response = await fetch(`${base}/permit?mode=${mode}`);
          await response.arrayBuffer();
          if (response.status !== 204) errors += 1;
        } catch {
          errors += 1;
        }
        latencies.get(mode)?.push(performance.now() - started);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { latencies, errors };
}

async function main() {
  const wrangler = await startBenchWorker("permit worker", {
    config: "bench/permit.wrangler.toml",
    persistTo: ".wrangler/bench-permit",
  });
  const base = wrangler.origin;
  try {
    await wrangler.ready();
    const warm = await load(base, WARMUP);
    if (warm.errors > 0)
      throw new Error(`${warm.errors} errors during warm-up\n${wrangler.process.output()}`);
    const samples = new Map<Mode, number[]>(MODES.map((mode) => [mode, []]));
    let errors = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const run = await load(base, REQUESTS);
      for (const mode of MODES) samples.get(mode)?.push(...(run.latencies.get(mode) ?? []));
      errors += run.errors;
    }
    const rows = MODES.map((mode) => {
      const latencies = samples.get(mode) ?? [];
      return { mode, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    });
    const baseline = rows[0] as (typeof rows)[number];
    console.log(
      `permit path: ${REQUESTS} requests x ${ROUNDS} rounds per mode, concurrency ${CONCURRENCY}, wrangler dev on loopback; errors: ${errors}\n`,
    );
    console.log("mode          median ms   p99 ms   added median ms   added p99 ms");
    for (const row of rows) {
      const addedP50 = row.mode === "baseline" ? "" : (row.p50 - baseline.p50).toFixed(3);
      const addedP99 = row.mode === "baseline" ? "" : (row.p99 - baseline.p99).toFixed(3);
      console.log(
        `${row.mode.padEnd(12)} ${row.p50.toFixed(3).padStart(10)} ${row.p99.toFixed(3).padStart(8)} ${addedP50.padStart(17)} ${addedP99.padStart(14)}`,
      );
    }
  } finally {
    await wrangler.stop();
  }
}

await main();
