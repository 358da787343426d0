// Running the MCP conformance suite (@modelcontextprotocol/conformance) from
// e2e tests: its CLI as a child process with per-scenario check counts
// parsed from its output, the loopback forwarder that adds the bearer token
// (the CLI sends no credentials) and passes everything else unchanged,
// streams included, and the suite's own reference server as an upstream.
import { spawn } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  freePort,
  httpAnswers,
  type RunningProcess,
  startProcess,
  waitFor,
} from "../../scripts/processes.ts";

const require = createRequire(import.meta.url);

const RESULTS = join(import.meta.dirname, "..", "..", "test-results", "conformance");

export type Results = Map<string, { passed: number; failed: number }>;
export type Requirements = "2025-11-25" | "2026-07-28";

/**
 * Runs the suite against `url`; passed/failed check counts per scenario. With
 * `label`, the suite's whole output (every failed check with its message) is
 * kept in test-results/conformance/{label}.txt.
 */
export function runConformance(url: string, requirements?: Requirements, label?: string): Promise<Results> {
  const entry = join(
    dirname(require.resolve("@modelcontextprotocol/conformance/package.json")),
    "dist/index.js",
  );
  const args = [entry, "server", "--url", url, ...(requirements ? ["--requirements", requirements] : [])];
  // Per-check results with their messages (checks.json per scenario) next to the output.
  if (label) args.push("--output-dir", join(RESULTS, label));
  // A fresh folder per run: checkResults reads every scenario folder in it.
  const cleared = label ? rm(join(RESULTS, label), { recursive: true, force: true }) : Promise.resolve();
  return cleared.then(() => run(args, label));
}

function run(args: string[], label: string | undefined): Promise<Results> {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 180_000);
    child.on("close", async () => {
      clearTimeout(timer);
      if (label) {
        await mkdir(RESULTS, { recursive: true });
        await writeFile(join(RESULTS, `${label}.txt`), output);
      }
      const results: Results = new Map();
      for (const match of output.matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed$/gmu)) {
        results.set(match[1] ?? "", { passed: Number(match[2]), failed: Number(match[3]) });
      }
      if (results.size === 0) reject(new Error(`no conformance results:\n${output.slice(-3000)}`));
      else resolve(results);
    });
  });
}

/** Per scenario, how many times each check passed, from the checks.json files of the run `label`. */
export type CheckResults = Map<string, Map<string, number>>;

export async function checkResults(label: string): Promise<CheckResults> {
  const folder = join(RESULTS, label);
  const results: CheckResults = new Map();
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    // Folders are named server-{scenario}-{ISO timestamp with dashes}.
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry.name)?.[1];
    if (!scenario) continue;
    const checks = JSON.parse(await readFile(join(folder, entry.name, "checks.json"), "utf8")) as {
      id: string;
      status: string;
    }[];
    const passed = results.get(scenario) ?? new Map<string, number>();
    for (const check of checks) {
      if (check.status === "SUCCESS") passed.set(check.id, (passed.get(check.id) ?? 0) + 1);
    }
    results.set(scenario, passed);
  }
  return results;
}

/** Checks (`scenario/check`) that pass in `baseline` and not (as often) in `other`. */
export function lostChecks(baseline: CheckResults, other: CheckResults): string[] {
  const lost: string[] = [];
  for (const [scenario, checks] of baseline) {
    for (const [check, times] of checks) {
      if ((other.get(scenario)?.get(check) ?? 0) < times) lost.push(`${scenario}/${check}`);
    }
  }
  return lost.sort();
}

export function totals(results: Results): {
  passed: number;
  failed: number;
  clean: number;
  scenarios: number;
} {
  const all = [...results.values()];
  return {
    passed: all.reduce((sum, r) => sum + r.passed, 0),
    failed: all.reduce((sum, r) => sum + r.failed, 0),
    clean: all.filter((r) => r.failed === 0).length,
    scenarios: all.length,
  };
}

export function summary(name: string, results: Results): string {
  const { passed, failed, clean, scenarios } = totals(results);
  return `${name}: ${clean}/${scenarios} scenarios clean, ${passed} checks passed, ${failed} failed`;
}

/** Scenarios with no failed check in `baseline` that have one (or are missing) in `other`. */
export function regressions(baseline: Results, other: Results): string[] {
  return [...baseline]
    .filter(([scenario, result]) => result.failed === 0 && (other.get(scenario)?.failed ?? 1) > 0)
    .map(([scenario]) => scenario);
}

export interface Forwarder {
  url: string;
  close(): void;
}

/** A loopback proxy to `target` that adds `authorization: Bearer <token>` to every request. */
export async function startForwarder(target: string, token: string): Promise<Forwarder> {
  let own = "";
  const server: Server = createServer(async (request, response) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "connection") headers.set(name, value);
    }
    headers.set("authorization", `Bearer ${token}`);
    // The suite's own localhost origin stands for the gateway's (the suite cannot know the gateway
    // sits behind this forwarder); any other Origin, e.g. a DNS-rebinding attempt, passes unchanged.
    if (headers.get("origin") === own) headers.set("origin", new URL(target).origin);
    // Streams end when the suite hangs up: stop the upstream exchange too.
    const abort = new AbortController();
    response.on("close", () => abort.abort());
    const body =
      request.method === "GET" || request.method === "DELETE" ? undefined : Readable.toWeb(request);
    try {
      const upstream = await fetch(`${target}${request.url}`, {
        method: request.method,
        headers,
        body: body as ReadableStream | undefined,
        duplex: "half",
        signal: abort.signal,
      } as RequestInit);
      // fetch has already decoded the body, so its encoding and length no longer apply.
      const passed = [...upstream.headers].filter(
        ([name]) => name !== "content-encoding" && name !== "content-length",
      );
      response.writeHead(upstream.status, Object.fromEntries(passed));
      if (upstream.body) await pipeline(Readable.fromWeb(upstream.body as never), response);
      else response.end();
    } catch {
      // The client or the gateway hung up mid-stream; nothing left to tell anyone.
      if (!response.headersSent) response.writeHead(502);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  own = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url: own,
    close() {
      server.closeAllConnections();
      server.close();
    },
  };
}

const REFERENCE_SOURCE = "/work/shared/reference/conformance-server/everything-server.ts";

/**
 * The suite's reference server (third-party test material, never part of the
 * source): copied into the gitignored `.local/` at test time, so the
 * project's node_modules resolve its imports, and run with tsx.
 */
export async function startReferenceServer(
  source = process.env.CONFORMANCE_REFERENCE_SERVER ?? REFERENCE_SOURCE,
): Promise<{ url: string; proc: RunningProcess }> {
  const folder = join(import.meta.dirname, "..", "..", ".local", "conformance-server");
  await mkdir(folder, { recursive: true });
  const copy = join(folder, "everything-server.ts");
  await copyFile(source, copy);
  const port = await freePort();
  const tsx = join(dirname(require.resolve("tsx/package.json")), "dist", "cli.mjs");
  const proc = startProcess(process.execPath, [tsx, copy], { PORT: String(port) });
  const url = `http://127.0.0.1:${port}/mcp`;
  await waitFor("conformance reference server", () => httpAnswers(url), { process: proc, timeoutMs: 60_000 });
  return { url, proc };
}
