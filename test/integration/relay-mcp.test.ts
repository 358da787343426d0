// Relay on the aggregated endpoint /mcp (issue 11): a real session-based
// upstream (test/support/relay-mcp-server.ts, SDK 1.x) asks for input, logs,
// changes its tools and resources, and notices cancellation; real SDK
// clients on the other side. Everything runs in workerd with real D1 and the
// real McpSession Durable Object.
import { exports } from "cloudflare:workers";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import type { RelayStats } from "../support/relay-mcp-server.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const MCP_URL = new URL(`${BASE}/mcp`);
const gatewayFetch = (input: string | URL | Request, init?: RequestInit) =>
  exports.default.fetch(input, init);

let adminToken: string;
let path: string;

beforeAll(async () => {
  adminToken = await devAdminToken();
  path = uniquePath("relay");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.relayUrl}/mcp` }] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
});

async function relayStats(): Promise<RelayStats> {
  return (await (await fetch(`${upstreams.relayUrl}/stats`)).json()) as RelayStats;
}

async function sessionClient(token = adminToken): Promise<LegacyClient> {
  const client = new LegacyClient(
    { name: "relay-test-v1", version: "1.0.0" },
    { capabilities: { elicitation: {} }, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  const transport = new LegacyTransport(MCP_URL, {
    fetch: gatewayFetch,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((block) => block.text ?? "").join("");
}

/** Resolves once `predicate` holds, polling every 50 ms; false after `ms`. */
async function eventually(predicate: () => boolean | Promise<boolean>, ms = 3_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return predicate();
}

describe("relay to a session-based client on /mcp", () => {
  it("bridges an upstream's elicitation to the client and its answer back to the upstream", async () => {
    const client = await sessionClient();
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return { action: "accept", content: { color: "teal" } };
    });
    const result = await client.callTool({ name: `${path}__ask`, arguments: {} });
    expect(asked).toHaveLength(1);
    expect((asked[0] as { message: string }).message).toBe("Which color?");
    expect(textOf(result)).toContain("teal");
    const stats = await relayStats();
    expect(stats.answers).toContainEqual({ action: "accept", content: { color: "teal" } });
    await client.close();
  });

  it("forwards logging/setLevel upstream and relays the upstream's log messages", async () => {
    const client = await sessionClient();
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
      logs.push(notification.params);
    });
    await client.setLoggingLevel("warning");
    expect((await relayStats()).levels).toContain("warning");
    const result = await client.callTool({ name: `${path}__log`, arguments: {} });
    expect(textOf(result)).toBe("logged");
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", data: "relay error" }));
    await client.close();
  });

  it("passes a client's cancellation on to the upstream", async () => {
    const client = await sessionClient();
    const before = (await relayStats()).cancelled;
    const controller = new AbortController();
    const call = client.callTool({ name: `${path}__wait`, arguments: {} }, undefined, {
      signal: controller.signal,
    });
    // Cancel once the upstream is working on it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    expect(await eventually(async () => (await relayStats()).cancelled > before)).toBe(true);
    await client.close();
  });

  it("relays list_changed and updates of subscribed resources, only to callers who may see the server", async () => {
    const watcher = await sessionClient();
    const changes: string[] = [];
    const updates: string[] = [];
    watcher.setNotificationHandler(ToolListChangedNotificationSchema, async (notification) => {
      changes.push(notification.method);
    });
    watcher.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      updates.push(notification.params.uri);
    });
    const wrapped = `mcpgw://${path}/relay://counter`;
    await watcher.subscribeResource({ uri: wrapped });

    // A caller with no grant on the relay server listens too.
    const outsider = principal({ tenant: "default", groups: ["relay-outsider"] });
    const stranger = await sessionClient(tokenFor(outsider));
    const strangerHeard: string[] = [];
    stranger.setNotificationHandler(ToolListChangedNotificationSchema, async (notification) => {
      strangerHeard.push(notification.method);
    });
    await expect(stranger.callTool({ name: `${path}__change`, arguments: {} })).rejects.toThrow();

    // The standalone streams open in the background: change until the watcher hears it (bounded).
    const actor = await sessionClient();
    let heard = false;
    for (let round = 0; round < 10 && !heard; round++) {
      await actor.callTool({ name: `${path}__change`, arguments: {} });
      heard = await eventually(() => changes.length > 0 && updates.length > 0, 1_000);
    }
    expect(heard, JSON.stringify({ changes, updates, stats: await relayStats() })).toBe(true);
    expect(updates).toContain(wrapped);
    // Coalesced: one change per round at most, never one per upstream session.
    expect(changes.length).toBeLessThanOrEqual(10);
    // The outsider's stream stays silent (it listens to no upstream it may not see).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(strangerHeard).toEqual([]);
    await Promise.all([watcher.close(), stranger.close(), actor.close()]);
  });
});

async function modernClient(autoFulfill: boolean): Promise<{ client: ModernClient; asked: unknown[] }> {
  const asked: unknown[] = [];
  const client = new ModernClient(
    { name: "relay-test-v2", version: "1.0.0" },
    {
      capabilities: { elicitation: {} },
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      inputRequired: { autoFulfill },
    },
  );
  client.setRequestHandler("elicitation/create", async (request) => {
    asked.push(request.params);
    return { action: "accept", content: { color: "amber" } };
  });
  const transport = new ModernTransport(MCP_URL, {
    fetch: gatewayFetch,
    requestInit: { headers: { authorization: `Bearer ${adminToken}` } },
  });
  await client.connect(transport);
  return { client, asked };
}

describe("input bridge for a 2026-07-28 client on /mcp", () => {
  it("turns an upstream's elicitation into input_required and resumes the upstream with the answer", async () => {
    const { client, asked } = await modernClient(true);
    const result = await client.callTool({ name: `${path}__ask`, arguments: {} });
    expect(asked).toHaveLength(1);
    expect((asked[0] as { message: string }).message).toBe("Which color?");
    expect(textOf(result)).toContain("amber");
    expect((await relayStats()).answers).toContainEqual({ action: "accept", content: { color: "amber" } });
    await client.close();
  });

  it("refuses a tampered requestState", async () => {
    const { client } = await modernClient(false);
    const first = (await client.callTool(
      { name: `${path}__ask`, arguments: {} },
      { allowInputRequired: true },
    )) as {
      resultType?: string;
      requestState?: string;
      inputRequests?: Record<string, { method: string }>;
    };
    expect(first.resultType).toBe("input_required");
    const [key, entry] = Object.entries(first.inputRequests ?? {})[0] ?? [];
    expect(entry?.method).toBe("elicitation/create");
    const state = first.requestState ?? "";
    const [version, body, mac] = state.split(".");
    const tampered = `${version}.${body}x.${mac}`;
    const retry = client.callTool(
      {
        name: `${path}__ask`,
        arguments: {},
        inputResponses: { [key ?? ""]: { action: "accept", content: { color: "red" } } },
        requestState: tampered,
      } as never,
      { allowInputRequired: true },
    );
    await expect(retry).rejects.toThrow(/requestState/);
    expect((await relayStats()).answers).not.toContainEqual({ action: "accept", content: { color: "red" } });
    await client.close();
  });
});
