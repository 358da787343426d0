// Relay beyond one call (issue 11): 2026-07-28 `subscriptions/listen` on /mcp
// and on a virtual server delivers list changes and updates of subscribed
// resources from a real session-based upstream (test/support/relay-mcp-server.ts),
// only to callers who may see it; a virtual server offers logging/setLevel
// and resources/subscribe to session clients like /mcp; a 2026-07-28
// upstream's input_required reaches a session client as an elicitation
// request and its answer completes the call. Real SDK clients
// (v2 for 2026-07-28, 1.x for sessions), real workerd, D1 and Durable Objects.
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
import { RELAY_RESOURCE, type RelayStats } from "../support/relay-mcp-server.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const gatewayFetch = (input: string | URL | Request, init?: RequestInit) =>
  exports.default.fetch(input, init);

let adminToken: string;
let path: string;
let virtualName: string;
let modernPath: string;
let modernVirtual: string;
/** A virtual server taking the relay server whole (`"tool": "*"`, `"uri": "*"`). */
let wholeVirtual: string;

beforeAll(async () => {
  adminToken = await devAdminToken();
  path = uniquePath("listen");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.relayUrl}/mcp` }] },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  virtualName = uniquePath("vlisten");
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: {
      name: virtualName,
      tools: [
        { server: path, tool: "change" },
        { server: path, tool: "log" },
      ],
      resources: [{ server: path, uri: RELAY_RESOURCE }],
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  wholeVirtual = uniquePath("vwhole");
  const whole = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: {
      name: wholeVirtual,
      tools: [{ server: path, tool: "*" }],
      resources: [{ server: path, uri: "*" }],
    },
  });
  expect(whole.status, await whole.clone().text()).toBe(201);
  modernPath = uniquePath("modern");
  const modern = await api("/api/v1/servers", {
    method: "POST",
    json: { name: modernPath, path: modernPath, endpoints: [{ url: `${upstreams.relayUrl}/modern` }] },
  });
  expect(modern.status, await modern.clone().text()).toBe(201);
  modernVirtual = uniquePath("vmodern");
  const virtualModern = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name: modernVirtual, tools: [{ server: modernPath, tool: "ask", name: "ask_color" }] },
  });
  expect(virtualModern.status, await virtualModern.clone().text()).toBe(201);
});

async function relayStats(): Promise<RelayStats> {
  return (await (await fetch(`${upstreams.relayUrl}/stats`)).json()) as RelayStats;
}

function endpoint(virtual: boolean): URL {
  return new URL(virtual ? `${BASE}/v/${virtualName}/mcp` : `${BASE}/mcp`);
}

async function modernClient(url: URL, token = adminToken): Promise<ModernClient> {
  const client = new ModernClient(
    { name: "listen-test-v2", version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    },
  );
  await client.connect(
    new ModernTransport(url, {
      fetch: gatewayFetch,
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

async function sessionClient(url: URL, token = adminToken): Promise<LegacyClient> {
  const client = new LegacyClient(
    { name: "listen-test-v1", version: "1.0.0" },
    { capabilities: { elicitation: {} }, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  await client.connect(
    new LegacyTransport(url, {
      fetch: gatewayFetch,
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
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

/** Calls `change` upstream (through /mcp) until `heard` holds; the listeners open in the background. */
async function changeUntil(heard: () => boolean): Promise<boolean> {
  const actor = await sessionClient(endpoint(false));
  try {
    for (let round = 0; round < 10; round++) {
      await actor.callTool({ name: `${path}__change`, arguments: {} });
      if (await eventually(heard, 1_000)) return true;
    }
    return false;
  } finally {
    await actor.close();
  }
}

describe("subscriptions/listen (2026-07-28)", () => {
  // The per-server path bridges a 2026 client to a 2025 upstream as a virtual server over its catalog.
  for (const where of [
    "/mcp",
    "a virtual server",
    "a virtual server taking it whole",
    "/{path}/mcp",
  ] as const) {
    it(`delivers list changes and updates of subscribed resources on ${where}, only to callers who may see the server`, async () => {
      const uri = where === "/mcp" ? `mcpgw://${path}/${RELAY_RESOURCE}` : RELAY_RESOURCE;
      const url =
        where === "/{path}/mcp"
          ? new URL(`${BASE}/${path}/mcp`)
          : where === "a virtual server taking it whole"
            ? new URL(`${BASE}/v/${wholeVirtual}/mcp`)
            : endpoint(where === "a virtual server");
      const watcher = await modernClient(url);
      const changes: string[] = [];
      const updates: string[] = [];
      watcher.setNotificationHandler("notifications/tools/list_changed", async (notification) => {
        changes.push(notification.method);
      });
      watcher.setNotificationHandler("notifications/resources/updated", async (notification) => {
        updates.push(notification.params.uri);
      });
      const subscription = await watcher.listen({ toolsListChanged: true, resourceSubscriptions: [uri] });

      // A caller without any grant on the relay server listens on /mcp too.
      const outsider = await modernClient(
        endpoint(false),
        tokenFor(principal({ tenant: "default", groups: ["listen-outsider"] })),
      );
      const strangerHeard: string[] = [];
      outsider.setNotificationHandler("notifications/tools/list_changed", async (notification) => {
        strangerHeard.push(notification.method);
      });
      const outsiderSubscription = await outsider.listen({ toolsListChanged: true });

      const heard = await changeUntil(() => changes.length > 0 && updates.length > 0);
      expect(heard, JSON.stringify({ changes, updates, stats: await relayStats() })).toBe(true);
      expect(updates).toContain(uri);
      // Coalesced: at most one change per round.
      expect(changes.length).toBeLessThanOrEqual(10);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(strangerHeard).toEqual([]);
      await Promise.all([subscription.close(), outsiderSubscription.close()]);
      await Promise.all([watcher.close(), outsider.close()]);
    });
  }

  it("hears nothing it did not opt in to", async () => {
    const watcher = await modernClient(endpoint(false));
    const heard: string[] = [];
    watcher.fallbackNotificationHandler = async (notification) => {
      heard.push(notification.method);
    };
    watcher.setNotificationHandler("notifications/tools/list_changed", async (notification) => {
      heard.push(notification.method);
    });
    const subscription = await watcher.listen({ promptsListChanged: true });
    // A second caller that opted in to tool changes proves the changes were relayed meanwhile.
    const witness = await modernClient(endpoint(false));
    const witnessed: string[] = [];
    witness.setNotificationHandler("notifications/tools/list_changed", async (notification) => {
      witnessed.push(notification.method);
    });
    const witnessSubscription = await witness.listen({ toolsListChanged: true });
    expect(await changeUntil(() => witnessed.length > 0)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);
    await witnessSubscription.close();
    await witness.close();
    await subscription.close();
    await watcher.close();
  });
});

describe("relay on a virtual server for a session client", () => {
  it("offers logging/setLevel and resources/subscribe, and relays their notifications", async () => {
    const client = await sessionClient(endpoint(true));
    const capabilities = client.getServerCapabilities();
    expect(capabilities?.logging).toEqual({});
    expect(capabilities?.resources?.subscribe).toBe(true);
    expect(capabilities?.tools?.listChanged).toBe(true);

    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
      logs.push(notification.params);
    });
    await client.setLoggingLevel("critical");
    expect((await relayStats()).levels).toContain("critical");
    await client.callTool({ name: "log", arguments: {} });
    expect(logs).toContainEqual(expect.objectContaining({ level: "error", data: "relay error" }));

    const changes: string[] = [];
    const updates: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, async (notification) => {
      changes.push(notification.method);
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, async (notification) => {
      updates.push(notification.params.uri);
    });
    await client.subscribeResource({ uri: RELAY_RESOURCE });
    // A URI the virtual server does not list cannot be subscribed to.
    await expect(client.subscribeResource({ uri: "relay://elsewhere" })).rejects.toThrow(/not found/i);

    const heard = await changeUntil(() => changes.length > 0 && updates.length > 0);
    expect(heard, JSON.stringify({ changes, updates })).toBe(true);
    // Resource URIs keep the upstream's own names on a virtual server.
    expect(updates).toContain(RELAY_RESOURCE);
    await client.close();
  });
});

describe("a 2026-07-28 upstream's input_required, for a session client", () => {
  for (const virtual of [false, true]) {
    it(`reaches the client as an elicitation request and its answer completes the call (${virtual ? "virtual server" : "/mcp"})`, async () => {
      const url = virtual ? new URL(`${BASE}/v/${modernVirtual}/mcp`) : endpoint(false);
      const client = await sessionClient(url);
      const color = virtual ? "violet" : "indigo";
      const asked: { message?: string }[] = [];
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params as { message?: string });
        return { action: "accept", content: { color } };
      });
      const result = await client.callTool({
        name: virtual ? "ask_color" : `${modernPath}__ask`,
        arguments: {},
      });
      expect(asked.map((params) => params.message)).toEqual(["Which color (2026)?"]);
      const text = ((result.content ?? []) as { text?: string }[]).map((block) => block.text).join("");
      expect(text).toContain(color);
      // The upstream saw the answer on the retry that completed the call.
      expect((await relayStats()).answers).toContainEqual({ action: "accept", content: { color } });
      await client.close();
    });
  }
});
