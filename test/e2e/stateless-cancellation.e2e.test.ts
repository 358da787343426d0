// A 2026-07-28 (stateless) client's cancellation reaching the upstream
// (issue 11, item 4), end to end: the gateway under `wrangler dev`, a real
// upstream on loopback (test/support/cancel-probe-server.ts) and the real
// SDK v2 client, pinned to 2026-07-28. The client cancels by aborting its
// call: on a 2026 connection the SDK aborts that request's HTTP POST (the
// spec's cancellation on Streamable HTTP is closing the request's stream; no
// notifications/cancelled is sent). Through `/mcp`, `/{path}/mcp` and
// `/v/{name}/mcp` the upstream must hear it: a session-based (2025) upstream
// as notifications/cancelled naming the id of the call it received, a
// 2026-07-28 upstream as its own request being closed. The next call on the
// same client then succeeds, answered after the gateway switched its reply
// to a stream.
//
// Real HTTP, because inside the workers pool (SELF.fetch) aborting a request
// does not reach the Worker's request.signal.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { type CancelProbeServer, startCancelProbeServer } from "../support/cancel-probe-server.ts";

let gateway: LocalGateway;
let probe: CancelProbeServer;
let token = "";
let persistDir = "";

async function api(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

beforeAll(async () => {
  const secrets = newDevSecrets();
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-cancel-"));
  [gateway, probe] = await Promise.all([
    (async () => startLocalGateway({ port: await freePort(), persistDir, secrets: { ...secrets } }))(),
    startCancelProbeServer(),
  ]);
  token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  await api("/api/v1/servers", {
    name: "session upstream",
    path: "sess",
    endpoints: [{ url: `${probe.url}/mcp` }],
  });
  await api("/api/v1/servers", {
    name: "2026 upstream",
    path: "modern",
    endpoints: [{ url: `${probe.url}/modern` }],
  });
  for (const server of ["sess", "modern"]) {
    await api("/api/v1/virtual-servers", {
      name: `v-${server}`,
      tools: [
        { server, tool: "slow" },
        { server, tool: "echo" },
      ],
    });
  }
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([gateway?.stop(), probe?.close()]);
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

async function modernClient(endpoint: string): Promise<Client> {
  const client = new Client(
    { name: "cancel-e2e", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gateway.url}${endpoint}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
  return client;
}

const UPSTREAMS = [
  {
    label: "a session-based (2025) upstream",
    path: "sess",
    /** Cancelled: a notifications/cancelled names the id of a `slow` call the upstream received. */
    started: (before: number) => probe.stats().slowCalls.length > before,
    cancelled: () => {
      const { slowCalls, cancelled } = probe.stats();
      return slowCalls.filter((id) => cancelled.includes(id)).length;
    },
  },
  {
    label: "a 2026-07-28 upstream",
    path: "modern",
    started: (before: number) => probe.stats().modernSlowCalls > before,
    cancelled: () => probe.stats().modernAborted,
  },
];

const ENDPOINTS = [
  { label: "/mcp", endpoint: () => "/mcp", tool: (path: string, name: string) => `${path}__${name}` },
  {
    label: "/{path}/mcp",
    endpoint: (path: string) => `/${path}/mcp`,
    tool: (_: string, name: string) => name,
  },
  {
    label: "/v/{name}/mcp",
    endpoint: (path: string) => `/v/v-${path}/mcp`,
    tool: (_: string, name: string) => name,
  },
];

describe.each(UPSTREAMS)("a 2026-07-28 client cancelling its call, $label", (upstream) => {
  it.each(ENDPOINTS)(
    "reaches the upstream through $label; the next call succeeds",
    async ({ endpoint, tool }) => {
      const client = await modernClient(endpoint(upstream.path));
      const startedBefore =
        upstream.path === "sess" ? probe.stats().slowCalls.length : probe.stats().modernSlowCalls;
      const cancelledBefore = upstream.cancelled();
      const controller = new AbortController();
      const call = client.callTool(
        { name: tool(upstream.path, "slow"), arguments: {} },
        { signal: controller.signal },
      );
      call.catch(() => {});
      // Cancel once the upstream is working on it.
      await expect.poll(() => upstream.started(startedBefore), { timeout: 15_000 }).toBe(true);
      controller.abort("changed my mind");
      await expect(call).rejects.toThrow();
      await expect.poll(() => upstream.cancelled(), { timeout: 10_000 }).toBe(cancelledBefore + 1);
      // Slower than the 2 s the gateway waits before it answers as a stream (edge/hang-up.ts): the answer still arrives.
      const echoed = await client.callTool({
        name: tool(upstream.path, "echo"),
        arguments: { text: "still here", delayMs: 3_000 },
      });
      expect(echoed.content).toEqual([{ type: "text", text: "still here" }]);
      await client.close();
    },
  );
});
