// Real MCP servers on loopback for the tests: the reference
// `server-everything` in Streamable HTTP and in legacy SSE mode, and the
// probe server the tests control. Started once per test run (vitest global setup)
// and handed to tests through `inject`.
import { createRequire } from "node:module";
import type { TestProject } from "vitest/node";
import { startDemoServer } from "../../demo/server.ts";
import {
  freePort,
  httpAnswers,
  type RunningProcess,
  startProcess,
  waitFor,
} from "../../scripts/processes.ts";
import { startFaultFleet } from "./fault-fleet.ts";
import { startPollingServer } from "./polling-mcp-server.ts";
import { startProbeServer } from "./probe-mcp-server.ts";
import { startRelayServer } from "./relay-mcp-server.ts";

const require = createRequire(import.meta.url);

export interface Upstreams {
  everythingStreamableUrl: string;
  everythingSseUrl: string;
  /** Base URL of the probe server (test/support/probe-mcp-server.ts); its MCP endpoint is `${probeUrl}/mcp`. */
  probeUrl: string;
  /** A second probe server, only for the aggregated endpoint's tests (its /stats are theirs alone). */
  aggregateProbeUrl: string;
  /** A probe of its own for the upstream session pool tests (they count initializes). */
  poolProbeUrl: string;
  /** The demo backend's MCP endpoint (demo/server.ts: 2026-07-28 and session-based 2025 clients). */
  demoUrl: string;
  /** Control API of the fault-injectable replica fleet (test/support/fault-fleet.ts). */
  faultFleetUrl: string;
  /** Base URL of the relay server (test/support/relay-mcp-server.ts); its MCP endpoint is `${relayUrl}/mcp`. */
  relayUrl: string;
  /** Base URL of the polling server (test/support/polling-mcp-server.ts); its MCP endpoint is `${pollingUrl}/mcp`. */
  pollingUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    upstreams: Upstreams;
  }
}

export function everythingEntry(): string {
  return require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
}

export async function startEverything(
  mode: "streamableHttp" | "sse",
): Promise<{ url: string; proc: RunningProcess }> {
  const port = await freePort();
  const proc = startProcess(process.execPath, [everythingEntry(), mode], { PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`server-everything (${mode})`, () => httpAnswers(`${base}/`), { process: proc });
  return { url: mode === "sse" ? `${base}/sse` : `${base}/mcp`, proc };
}

export default async function setup(project: TestProject) {
  const [streamable, sse, probe, aggregateProbe, demo, fleet, poolProbe] = await Promise.all([
    startEverything("streamableHttp"),
    startEverything("sse"),
    startProbeServer(),
    startProbeServer(),
    startDemoServer({ port: 0, host: "127.0.0.1" }),
    startFaultFleet(),
    startProbeServer(),
  ]);
  const relay = await startRelayServer();
  const polling = await startPollingServer();
  project.provide("upstreams", {
    everythingStreamableUrl: streamable.url,
    everythingSseUrl: sse.url,
    probeUrl: probe.url,
    aggregateProbeUrl: aggregateProbe.url,
    demoUrl: demo.url,
    faultFleetUrl: fleet.url,
    poolProbeUrl: poolProbe.url,
    relayUrl: relay.url,
    pollingUrl: polling.url,
  });
  return async () => {
    await Promise.all([
      streamable.proc.stop(),
      sse.proc.stop(),
      probe.close(),
      aggregateProbe.close(),
      demo.close(),
      fleet.close(),
      poolProbe.close(),
      relay.close(),
      polling.close(),
    ]);
  };
}
