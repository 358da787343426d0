// Cancellation both ways (issue 11, item 4) for session-based clients (SDK
// 1.x) on /mcp and on a virtual server, against a real session-based
// upstream (test/support/relay-mcp-server.ts):
// - client to upstream: the client cancels its tools/call; the upstream's
//   handler is aborted (it counts the cancellation);
// - upstream to client: the upstream asks the client for input on the
//   call's stream and gives up on the question (notifications/cancelled);
//   the gateway cancels its relayed request to the client, whose handler is
//   aborted, and the call completes with the upstream's own answer.

import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { gatewayFetch } from "../support/gateway-clients.ts";
import type { RelayStats } from "../support/relay-mcp-server.ts";
import { textOf } from "../support/sdk-client.ts";

const upstreams = inject("upstreams");
let token = "";
let path = "";
let virtualName = "";

beforeAll(async () => {
  token = await devAdminToken();
  path = uniquePath("cancel");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.relayUrl}/mcp` }] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  virtualName = uniquePath("vcancel");
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: {
      name: virtualName,
      tools: [
        { server: path, tool: "wait" },
        { server: path, tool: "ask_abandon" },
      ],
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
});

async function relayStats(): Promise<RelayStats> {
  return (await (await fetch(`${upstreams.relayUrl}/stats`)).json()) as RelayStats;
}

async function sessionClient(endpoint: string): Promise<LegacyClient> {
  const client = new LegacyClient(
    { name: "cancel-test-v1", version: "1.0.0" },
    { capabilities: { elicitation: {} }, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  await client.connect(
    new LegacyTransport(new URL(`${BASE}${endpoint}`), {
      fetch: gatewayFetch,
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const ENDPOINTS = [
  { label: "/mcp", endpoint: () => "/mcp", tool: (name: string) => `${path}__${name}` },
  { label: "a virtual server", endpoint: () => `/v/${virtualName}/mcp`, tool: (name: string) => name },
];

describe.each(ENDPOINTS)("cancellation on $label", ({ endpoint, tool }) => {
  it("reaches the upstream when the client cancels its call", async () => {
    const client = await sessionClient(endpoint());
    const before = (await relayStats()).cancelled;
    const controller = new AbortController();
    const call = client.callTool({ name: tool("wait"), arguments: {} }, undefined, {
      signal: controller.signal,
    });
    // Cancel once the upstream is working on it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await expect.poll(async () => (await relayStats()).cancelled, { timeout: 5_000 }).toBeGreaterThan(before);
    await client.close();
  });

  it("reaches the client when the upstream gives up on its own request", async () => {
    const client = await sessionClient(endpoint());
    const seen: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
      seen.push(`asked: ${request.params.message}`);
      // Never answers by itself: only the cancellation ends it.
      return new Promise((resolve) => {
        extra.signal.addEventListener("abort", () => {
          seen.push("cancelled");
          resolve({ action: "cancel" });
        });
      });
    });
    const result = await client.callTool({ name: tool("ask_abandon"), arguments: {} });
    expect(textOf(result)).toBe("abandoned");
    await expect.poll(() => seen, { timeout: 5_000 }).toEqual(["asked: Which color, quickly?", "cancelled"]);
    await client.close();
  });
});
