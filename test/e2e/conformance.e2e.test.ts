// The MCP conformance suite (@modelcontextprotocol/conformance) against
// server-everything directly and through the gateway's per-server endpoint:
// every scenario that passes directly must pass through the per-server
// endpoint; the aggregated endpoint's figures are reported alongside. The
// suite's CLI cannot send credentials, so a loopback forwarder adds the
// bearer token and passes everything else (streams included) unchanged.
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "./harness.ts";

const require = createRequire(import.meta.url);
let stack: Stack;
let forwarder: Server;
let forwarderUrl: string;

beforeAll(async () => {
  stack = await startStack();
  await stack.register({
    name: "Everything",
    path: "everything",
    endpoints: [{ url: stack.everythingStreamableUrl }],
  });
  forwarder = createServer(async (request, response) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "connection") headers.set(name, value);
    }
    headers.set("authorization", `Bearer ${stack.token}`);
    // Streams end when the suite hangs up: stop the upstream exchange too.
    const abort = new AbortController();
    response.on("close", () => abort.abort());
    const body =
      request.method === "GET" || request.method === "DELETE" ? undefined : Readable.toWeb(request);
    try {
      const upstream = await fetch(`${stack.gateway.url}${request.url}`, {
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
  await new Promise<void>((resolve) => forwarder.listen(0, "127.0.0.1", resolve));
  const address = forwarder.address();
  forwarderUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  forwarder?.closeAllConnections();
  forwarder?.close();
  await stack?.stop();
});

type Results = Map<string, { passed: number; failed: number }>;

/** Runs the suite against `url`; returns passed/failed check counts per scenario. */
function conformance(url: string): Promise<Results> {
  const entry = join(
    dirname(require.resolve("@modelcontextprotocol/conformance/package.json")),
    "dist/index.js",
  );
  const child = spawn(process.execPath, [entry, "server", "--url", url], {
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
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", () => {
      clearTimeout(timer);
      const results: Results = new Map();
      for (const match of output.matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed$/gmu)) {
        results.set(match[1] ?? "", { passed: Number(match[2]), failed: Number(match[3]) });
      }
      if (results.size === 0) reject(new Error(`no conformance results:\n${output.slice(-3000)}`));
      else resolve(results);
    });
  });
}

function table(name: string, results: Results): string {
  const passed = [...results.values()].reduce((sum, r) => sum + r.passed, 0);
  const failed = [...results.values()].reduce((sum, r) => sum + r.failed, 0);
  const clean = [...results.values()].filter((r) => r.failed === 0).length;
  return `${name}: ${clean}/${results.size} scenarios clean, ${passed} checks passed, ${failed} failed`;
}

describe("MCP conformance suite", () => {
  it("passes through /{path}/mcp every scenario that passes directly", { timeout: 300_000 }, async () => {
    const direct = await conformance(stack.everythingStreamableUrl);
    const proxied = await conformance(`${forwarderUrl}/everything/mcp`);
    // The aggregated endpoint renames tools ({server}__{tool}) and offers no
    // logging or subscriptions, so scenarios that look up tools by their
    // plain names cannot pass there; its figures are reported, not compared.
    const aggregated = await conformance(`${forwarderUrl}/mcp`);
    console.log(
      [table("direct", direct), table("via /{path}/mcp", proxied), table("via /mcp", aggregated)].join("\n"),
    );
    const regressions = [...direct]
      .filter(([scenario, result]) => result.failed === 0 && (proxied.get(scenario)?.failed ?? 1) > 0)
      .map(([scenario]) => scenario);
    expect(regressions).toEqual([]);
    expect(direct.size).toBeGreaterThan(20);
    expect(proxied.size).toBe(direct.size);
  });
});
