// Where the gateway's CPU goes on one kind of MCP request: starts the demo
// backend and the gateway under `wrangler dev`, warms up, records a V8 CPU
// profile of the Worker's isolate (Chrome DevTools Protocol over wrangler's
// inspector port) while a bounded load runs, and prints self time by
// function and by file. Not a benchmark (no figure to compare against): it
// says what to cut next for issue 10's throughput targets.
//
//   npm run bench:profile [-- --target path|session|stateless --requests 2000 --concurrency 16 --top 40 --alloc]
//
// With `--alloc`, the inspector's sampling heap profiler runs over the same
// load and the bytes allocated per request are printed by function and by
// file (sampled: every ~8 KiB allocated is attributed to the stack that
// allocated it, so small figures are noisy). Garbage collection is a cost of
// every request that shows up only as "(garbage collector)" in the CPU
// profile; this says which code makes the garbage.
//
// Time in workerd's own C++ (HTTP, D1, Durable Object plumbing) and in other
// processes (D1's SQLite runs in the same workerd process but shows up here
// only as "(program)" or idle) is not attributed to functions; the split
// between "(idle)", "(program)", "(garbage collector)" and JavaScript is
// printed first.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDemoServer } from "../demo/server.ts";
import { devLogin, newDevSecrets } from "../scripts/dev-secrets.ts";
import { startLocalGateway } from "../scripts/local-gateway.ts";
import { freePort } from "../scripts/processes.ts";
import { type GatewayTargetKind, gatewayTargets, registerDemo } from "./gateway-targets.ts";
import { initialize, load } from "./mcp-load.ts";

const { values: options } = parseArgs({
  options: {
    target: { type: "string", default: "path" },
    requests: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "16" },
    top: { type: "string", default: "40" },
    out: { type: "string" },
    alloc: { type: "boolean", default: false },
  },
});
const KINDS = ["path", "session", "stateless"] as const;
const kind = options.target as GatewayTargetKind;
if (!KINDS.includes(kind)) throw new Error(`--target must be one of ${KINDS.join(", ")}`);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

/** The sampling heap profiler's tree (HeapProfiler.stopSampling). */
interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: AllocationNode[];
}

/** Bytes allocated per key (function or file), summed over the sampled tree. */
function allocatedBytes(head: AllocationNode, keyOf: (node: AllocationNode) => string): Map<string, number> {
  const bytes = new Map<string, number>();
  const stack = [head];
  for (let node = stack.pop(); node; node = stack.pop()) {
    if (node.selfSize > 0) {
      const key = keyOf(node);
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    }
    stack.push(...node.children);
  }
  return bytes;
}

function printAllocations(title: string, bytes: Map<string, number>, requests: number, top: number): void {
  let total = 0;
  for (const value of bytes.values()) total += value;
  console.log(`\n${title} (${(total / requests).toFixed(0)} bytes per request sampled)`);
  const rows = [...bytes.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, value] of rows) {
    const share = ((100 * value) / total).toFixed(1).padStart(5);
    console.log(`${(value / requests).toFixed(0).padStart(8)} B/req ${share}%  ${key}`);
  }
}

/** A minimal CDP session over wrangler's inspector WebSocket. */
async function inspector(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl: string;
    title?: string;
  }[];
  const target = targets.find((t) => !t.title?.startsWith("Cloudflare")) ?? targets[0];
  if (!target) throw new Error("the inspector lists no target");
  // wrangler's inspector proxy only accepts local (or DevTools) origins; Node's WebSocket sends none by default.
  const socket = new WebSocket(target.webSocketDebuggerUrl, {
    headers: { origin: "http://127.0.0.1" },
  } as unknown as string[]);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  return {
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => pending.set(id, resolve as (result: unknown) => void));
    },
    close: () => socket.close(),
  };
}

/** Self time per key (function or file), in ms, from the profile's samples. */
function selfTimes(profile: Profile, keyOf: (node: ProfileNode) => string): Map<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const samples = profile.samples ?? [];
  const msPerSample = samples.length > 0 ? (profile.endTime - profile.startTime) / 1000 / samples.length : 0;
  const times = new Map<string, number>();
  for (const id of samples) {
    const node = byId.get(id);
    if (!node) continue;
    const key = keyOf(node);
    times.set(key, (times.get(key) ?? 0) + msPerSample);
  }
  return times;
}

function shortUrl(url: string): string {
  const worker = url.indexOf("/worker/");
  if (worker >= 0) return url.slice(worker + 1);
  const modules = url.lastIndexOf("node_modules/");
  if (modules >= 0)
    return url
      .slice(modules + "node_modules/".length)
      .split("/")
      .slice(0, 2)
      .join("/");
  return url || "(native)";
}

function printTop(title: string, times: Map<string, number>, total: number, top: number): void {
  console.log(`\n${title}`);
  const rows = [...times.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, ms] of rows) {
    console.log(`${ms.toFixed(0).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
}

async function main() {
  const demo = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
  const secrets = newDevSecrets();
  const persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-profile-"));
  const inspectorPort = await freePort();
  const gateway = await startLocalGateway({
    port: await freePort(),
    persistDir,
    secrets: { ...secrets },
    inspectorPort,
  });
  try {
    const token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
    await registerDemo(gateway.url, token, demo.url);
    const target = await initialize(gatewayTargets(gateway.url, token)[kind]);
    const requests = Number(options.requests);
    const concurrency = Number(options.concurrency);
    await load(target, Math.min(500, requests), concurrency);

    const cdp = await inspector(inspectorPort);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    if (options.alloc) {
      await cdp.send("HeapProfiler.enable");
      await cdp.send("HeapProfiler.startSampling", {
        samplingInterval: 8192,
        // Garbage is the point: without these the profile keeps only what is still alive when it stops.
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    await cdp.send("Profiler.start");
    const run = await load(target, requests, concurrency);
    const { profile } = await cdp.send<{ profile: Profile }>("Profiler.stop");
    const allocations = options.alloc
      ? (await cdp.send<{ profile: { head: AllocationNode } }>("HeapProfiler.stopSampling")).profile
      : undefined;
    cdp.close();
    if (options.out) await writeFile(options.out, JSON.stringify(profile));

    const total = (profile.endTime - profile.startTime) / 1000;
    console.log(
      `${target.name}: ${requests} requests, concurrency ${concurrency}: ${run.rps.toFixed(0)} req/s, p50 ${run.p50.toFixed(1)} ms, ${run.errors} errors`,
    );
    console.log(
      `profile ${total.toFixed(0)} ms of wall time; per request ${(total / requests).toFixed(2)} ms`,
    );
    const special = (name: string) => name.startsWith("(") && name.endsWith(")");
    const byKind = selfTimes(profile, (node) =>
      special(node.callFrame.functionName) ? node.callFrame.functionName : "JavaScript",
    );
    printTop("split (ms of the profile, share of wall time)", byKind, total, 10);
    const js = (n: ProfileNode) => !special(n.callFrame.functionName);
    printTop(
      "self time by file (JavaScript only)",
      selfTimes(profile, (node) => (js(node) ? shortUrl(node.callFrame.url) : "(not JavaScript)")),
      total,
      Number(options.top),
    );
    printTop(
      "self time by function",
      selfTimes(profile, (node) =>
        js(node)
          ? `${node.callFrame.functionName || "(anonymous)"}  ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`
          : node.callFrame.functionName,
      ),
      total,
      Number(options.top),
    );
    if (allocations) {
      const frameKey = (node: AllocationNode) =>
        `${node.callFrame.functionName || "(anonymous)"}  ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
      printAllocations(
        "allocated by file",
        allocatedBytes(allocations.head, (node) => shortUrl(node.callFrame.url)),
        requests,
        Number(options.top),
      );
      printAllocations(
        "allocated by function",
        allocatedBytes(allocations.head, frameKey),
        requests,
        Number(options.top),
      );
    }
  } finally {
    await Promise.allSettled([gateway.stop(), demo.close()]);
    await rm(persistDir, { recursive: true, force: true });
  }
}

await main();
