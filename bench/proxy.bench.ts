// `tools/call` of the demo backend's word_count through six targets, with the
// same load in one run, rounds interleaved: (1) the backend directly, (2) a
// bare pass-through Worker on the same local runtime
// (bench/passthrough-worker.ts), (3) the gateway's per-server endpoint
// /{path}/mcp, (4) /mcp as a session-based (2025-06-18) client sees it (the
// McpSession Durable Object), (5) /mcp as a stateless 2026-07-28 client sees
// it, (6) the pass-through loaded by that stateless client. The clients are
// raw HTTP, identical for every target, so client-side SDK work is not
// measured. Prints req/s, p50/p99 latency and ratios against the pass-through
// Worker (computed within the run), then (5) against (6): the demo answers a
// 2026-07-28 request on its own stateless path, which builds a server per
// request, so only (6) puts the same backend work behind the baseline.
//
// CPU time per request is printed for each `wrangler dev` process tree (and
// its busiest process: the workerd running the Worker) and for this process
// (the load client and the demo backend): on this 2-core machine the loads
// are CPU-bound, so req/s follows the sum, and CPU time moves far less with
// the machine's load than req/s does.
//
//   npm run bench:proxy [-- --requests 2000 --concurrency 16 --rounds 3 --warmup 200]
//
// Each round's figures are printed as they come (so a run cut short still
// says something); the table at the end is the medians of the rounds.
//
// The backend is the repository's demo MCP server (a real MCP SDK v2 server,
// session-based exchange); the tool is `word_count`, which costs next to
// nothing, so what is measured is the transport path.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDemoServer } from "../demo/server.ts";
import { devLogin, newDevSecrets } from "../scripts/dev-secrets.ts";
import { startLocalGateway } from "../scripts/local-gateway.ts";
import { freePort } from "../scripts/processes.ts";
import { gatewayTargets, registerDemo, statelessTarget } from "./gateway-targets.ts";
import { compareTargets, type Target } from "./mcp-load.ts";
import { pidListeningOn, wranglerTreeOf } from "./process-cpu.ts";
import { startPassthroughWorker } from "./wrangler-dev.ts";

const { values: options } = parseArgs({
  options: {
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "200" },
  },
});
const REQUESTS = Number(options.requests);
const CONCURRENCY = Number(options.concurrency);
const ROUNDS = Number(options.rounds);
const WARMUP = Number(options.warmup);

async function main() {
  const demo = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
  const backendOrigin = new URL(demo.url).origin;

  const passthrough = await startPassthroughWorker(backendOrigin);
  const secrets = newDevSecrets();
  const persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-bench-"));
  const gateway = await startLocalGateway({ port: await freePort(), persistDir, secrets: { ...secrets } });
  // Interrupted (Ctrl-C, `timeout`): stop the child processes too, never leave them running.
  const stopAll = () => Promise.allSettled([gateway.stop(), passthrough.stop(), demo.close()]);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    await passthrough.ready();
    const token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
    await registerDemo(gateway.url, token, demo.url);

    const gatewayAt = gatewayTargets(gateway.url, token);
    // The processes of each `wrangler dev`, for CPU time per request (Linux /proc; none elsewhere).
    const treeAt = (origin: string) => {
      const listening = pidListeningOn(Number(new URL(origin).port));
      return listening ? wranglerTreeOf(listening.pid) : [];
    };
    const gatewayPids = treeAt(gateway.url);
    const passthroughPids = treeAt(passthrough.origin);
    const plain: Target[] = [
      { name: "backend directly", url: demo.url, headers: {} },
      {
        name: "bare pass-through Worker",
        url: `${passthrough.origin}/mcp`,
        headers: {},
        pids: passthroughPids,
      },
      { ...gatewayAt.path, pids: gatewayPids },
      { ...gatewayAt.session, pids: gatewayPids },
      { ...gatewayAt.stateless, pids: gatewayPids },
      {
        ...statelessTarget("pass-through, 2026 client", `${passthrough.origin}/mcp`, {}, "word_count"),
        pids: passthroughPids,
      },
    ];
    const summary = await compareTargets(plain, {
      requests: REQUESTS,
      rounds: ROUNDS,
      concurrency: CONCURRENCY,
      warmup: WARMUP,
    });
    console.log(
      `tools/call word_count, ${REQUESTS} requests x ${ROUNDS} rounds, concurrency ${CONCURRENCY} (medians of rounds)\n`,
    );
    const bare = summary[1];
    console.log(
      "target                        req/s     p50 ms   p99 ms   errors   req/s vs pass-through   p50 vs   p99 vs   CPU µs/req: wrangler tree  busiest process  bench process",
    );
    for (const row of summary) {
      const ratios = bare
        ? `${(row.rps / bare.rps).toFixed(2).padStart(22)}x ${(row.p50 / bare.p50).toFixed(2).padStart(7)}x ${(row.p99 / bare.p99).toFixed(2).padStart(7)}x`
        : "".padEnd(42);
      const us = (value: number | null, width: number) =>
        (value === null ? "-" : value.toFixed(0)).padStart(width);
      const cpu = `${us(row.serverCpuUs, 27)} ${us(row.busiestCpuUs, 16)} ${us(row.benchCpuUs, 14)}`;
      console.log(
        `${row.name.padEnd(28)} ${row.rps.toFixed(0).padStart(7)} ${row.p50.toFixed(2).padStart(9)} ${row.p99.toFixed(2).padStart(8)} ${String(row.errors).padStart(8)} ${ratios} ${cpu}`,
      );
    }
    console.log("");
    // The stateless gateway target against the pass-through loaded by the same
    // 2026-07-28 client: the backend then does the same work behind both.
    printVersus(summary[4], summary[5]);
    // Issue 10's "/mcp at least as fast as /{path}/mcp" (session client, same backend work).
    printVersus(summary[3], summary[2]);
  } finally {
    await stopAll();
    await rm(persistDir, { recursive: true, force: true });
  }
}

/** One target against another of the same run: req/s, p50 and p99 ratios. */
function printVersus(
  row: { name: string; rps: number; p50: number; p99: number } | undefined,
  against: { name: string; rps: number; p50: number; p99: number } | undefined,
): void {
  if (!row || !against) return;
  console.log(
    `${row.name} vs ${against.name}: req/s ${(row.rps / against.rps).toFixed(2)}x, p50 ${(row.p50 / against.p50).toFixed(2)}x, p99 ${(row.p99 / against.p99).toFixed(2)}x`,
  );
}

await main();
