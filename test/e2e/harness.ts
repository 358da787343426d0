// The stack the end-to-end tests run against: the gateway under `wrangler
// dev` (fresh local state and secrets), real MCP servers on loopback, and a
// development-login token. Also runs the MCP Inspector CLI from node_modules.
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "vitest";
import { type DemoServer, startDemoServer } from "../../demo/server.ts";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort, type RunningProcess, runToCompletion } from "../../scripts/processes.ts";
import { startEverything } from "../support/upstreams.ts";

const require = createRequire(import.meta.url);

/** Tokens name this as issuer and audience, so they survive a gateway restart on another port. */
export const PUBLIC_URL = "http://mcp-gateway.e2e";

export interface Stack {
  gateway: LocalGateway;
  token: string;
  /** The development admin's password (for tests of the development login itself). */
  devPassword: string;
  everythingStreamableUrl: string;
  everythingSseUrl: string;
  demo: DemoServer;
  /** Registers a server through the REST API; returns its record. */
  register(body: Record<string, unknown>): Promise<{ id: string; path: string; catalog: { status: string } }>;
  stop(): Promise<void>;
}

/** `vars`: extra Worker vars for this stack's gateway (e.g. resilience settings). */
export async function startStack(options: { vars?: Record<string, string> } = {}): Promise<Stack> {
  const secrets = newDevSecrets();
  const persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-e2e-"));
  const processes: RunningProcess[] = [];
  const [gateway, streamable, sse, demo] = await Promise.all([
    (async () =>
      startLocalGateway({
        port: await freePort(),
        persistDir,
        secrets: { ...secrets },
        vars: { PUBLIC_URL, ...options.vars },
      }))(),
    startEverything("streamableHttp"),
    startEverything("sse"),
    (async () => startDemoServer({ port: await freePort(), host: "127.0.0.1" }))(),
  ]);
  processes.push(streamable.proc, sse.proc);
  const token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  return {
    gateway,
    token,
    devPassword: secrets.DEV_ADMIN_PASSWORD,
    everythingStreamableUrl: streamable.url,
    everythingSseUrl: sse.url,
    demo,
    async register(body) {
      const response = await fetch(`${gateway.url}/api/v1/servers`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, await response.clone().text()).toBe(201);
      return (await response.json()) as { id: string; path: string; catalog: { status: string } };
    },
    async stop() {
      await Promise.allSettled([gateway.stop(), demo.close(), ...processes.map((proc) => proc.stop())]);
      await rm(persistDir, { recursive: true, force: true });
    },
  };
}

/** `mcp-inspector --cli <url> ...` with a bearer token; resolves with its exit code and output. */
export function runInspector(
  url: string,
  token: string,
  transport: "http" | "sse",
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runInspectorWithHeaders(url, { Authorization: `Bearer ${token}` }, transport, args);
}

/** `mcp-inspector --cli <url> --header "<name>: <value>"... ...` (e.g. the headers of a client's config file). */
export function runInspectorWithHeaders(
  url: string,
  headers: Record<string, string>,
  transport: "http" | "sse",
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const headerArgs = Object.entries(headers).flatMap(([name, value]) => ["--header", `${name}: ${value}`]);
  const launcher = join(
    dirname(require.resolve("@modelcontextprotocol/inspector/package.json")),
    "clients/launcher/build/index.js",
  );
  return runToCompletion(
    process.execPath,
    [launcher, "--cli", url, "--transport", transport, ...headerArgs, ...args],
    {
      env: { ...process.env, NO_COLOR: "1" },
      timeoutMs: 30_000,
    },
  );
}
