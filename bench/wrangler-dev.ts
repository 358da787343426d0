// Benchmark Workers under `wrangler dev` on loopback (the same local runtime
// as the gateway), started early and awaited with `ready()` once the other
// targets are up, so they start in parallel. The pass-through Worker
// (bench/passthrough-worker.ts, a Worker that only forwards to the backend) is
// the baseline every proxy benchmark divides by.
import { resolve } from "node:path";
import { freePort, httpAnswers, type RunningProcess, startProcess, waitFor } from "../scripts/processes.ts";

export interface BenchWorker {
  /** http://127.0.0.1:{port} */
  origin: string;
  process: RunningProcess;
  ready: () => Promise<void>;
  stop: () => Promise<void>;
}

export interface BenchWorkerOptions {
  /** The wrangler config, relative to the repository root. */
  config: string;
  vars?: Record<string, string>;
  /** Local persistence directory (D1, Durable Objects); wrangler's default when absent. */
  persistTo?: string;
}

export async function startBenchWorker(name: string, options: BenchWorkerOptions): Promise<BenchWorker> {
  const port = await freePort();
  const args = [
    resolve("node_modules/wrangler/bin/wrangler.js"),
    "dev",
    "--config",
    resolve(options.config),
    "--env-file",
    "/dev/null",
    "--ip",
    "127.0.0.1",
    "--port",
    String(port),
    "--inspector-port",
    String(await freePort()),
    ...(options.persistTo ? ["--persist-to", resolve(options.persistTo)] : []),
    ...Object.entries(options.vars ?? {}).flatMap(([key, value]) => ["--var", `${key}:${value}`]),
  ];
  const child = startProcess(process.execPath, args, {
    CI: "true",
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    process: child,
    ready: () => waitFor(name, () => httpAnswers(`${origin}/`), { timeoutMs: 60_000, process: child }),
    stop: () => child.stop(),
  };
}

/** The bare pass-through Worker in front of `backendOrigin`; its MCP endpoint is `${origin}/mcp`. */
export function startPassthroughWorker(backendOrigin: string): Promise<BenchWorker> {
  return startBenchWorker("pass-through worker", {
    config: "bench/passthrough.wrangler.toml",
    vars: { BACKEND_ORIGIN: backendOrigin },
  });
}
