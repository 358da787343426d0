// The registry end to end, as a user meets it: the gateway runs under
// `wrangler dev` with local D1, real MCP servers run on loopback, and the
// catalog the gateway stored is compared with what a real MCP client (the
// 1.x SDK most agents use today) sees when it reads the server directly.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../../demo/server.ts";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort, type RunningProcess } from "../../scripts/processes.ts";
import { startEverything } from "../support/upstreams.ts";

// Fresh development secrets per run; the bearer token comes from the development login.
const SECRETS = newDevSecrets();
// A fixed public URL: tokens name it as issuer and audience, so they stay valid
// when the restarted gateway listens on another port.
const PUBLIC_URL = "http://mcp-gateway.e2e";
const VARS = { PUBLIC_URL };
let token: string;

let gateway: LocalGateway;
let persistDir: string;
let demo: DemoServer;
const everything: {
  streamable?: { url: string; proc: RunningProcess };
  sse?: { url: string; proc: RunningProcess };
} = {};

beforeAll(async () => {
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-e2e-"));
  const [gw, streamable, sse, demoServer] = await Promise.all([
    (async () =>
      startLocalGateway({ port: await freePort(), persistDir, secrets: { ...SECRETS }, vars: VARS }))(),
    startEverything("streamableHttp"),
    startEverything("sse"),
    (async () => startDemoServer({ port: await freePort(), host: "127.0.0.1" }))(),
  ]);
  gateway = gw;
  everything.streamable = streamable;
  everything.sse = sse;
  demo = demoServer;
  token = await devLogin(gateway.url, SECRETS.DEV_ADMIN_USERNAME, SECRETS.DEV_ADMIN_PASSWORD);
});

afterAll(async () => {
  await Promise.allSettled([
    gateway?.stop(),
    everything.streamable?.proc.stop(),
    everything.sse?.proc.stop(),
    demo?.close(),
  ]);
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

async function callApi(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });
}

/** Everything a real client sees, following every page. */
async function readDirectly(transport: Transport) {
  const client = new Client({ name: "e2e-direct-reader", version: "1.0.0" });
  await client.connect(transport);
  try {
    const tools: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const prompts = (await client.listPrompts()).prompts;
    const resources = (await client.listResources()).resources;
    return { tools, prompts, resources };
  } finally {
    await client.close();
  }
}

interface StoredItem {
  kind: string;
  key: string;
  definition: Record<string, unknown>;
}

async function stored(serverId: string, segment: "tools" | "prompts" | "resources"): Promise<StoredItem[]> {
  const response = await callApi(`/api/v1/servers/${serverId}/${segment}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: StoredItem[] }).items;
}

async function register(body: Record<string, unknown>): Promise<{ id: string; catalog: { status: string } }> {
  const response = await callApi("/api/v1/servers", { method: "POST", body: JSON.stringify(body) });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as { id: string; catalog: { status: string } };
}

describe("registry through a running gateway", () => {
  it("answers liveness without credentials", async () => {
    const response = await fetch(`${gateway.url}/health`);
    expect(response.status).toBe(200);
  });

  it("refuses the API without a token, pointing at its protected-resource metadata", async () => {
    const response = await fetch(`${gateway.url}/api/v1/servers`);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource"`,
    );
    const metadata = (await (await fetch(`${gateway.url}/.well-known/oauth-protected-resource`)).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    expect(metadata.resource).toBe(PUBLIC_URL);
    // The gateway names itself as authorization server only when it can be one
    // (worker/oauth/: https or loopback origin); this plain-http public URL cannot.
    expect(metadata.authorization_servers).not.toContain(PUBLIC_URL);
  });

  for (const mode of ["streamable", "sse"] as const) {
    it(`stores exactly the catalog a client sees directly (server-everything, ${mode})`, async () => {
      const upstream = everything[mode];
      if (!upstream) throw new Error("upstream not started");
      const server = await register({
        name: `Everything (${mode})`,
        path: `everything-${mode}`,
        endpoints: [{ url: upstream.url, transport: mode === "sse" ? "sse" : "streamable-http" }],
      });
      expect(server.catalog.status).toBe("ok");

      const transport =
        mode === "sse"
          ? new SSEClientTransport(new URL(upstream.url))
          : new StreamableHTTPClientTransport(new URL(upstream.url));
      const direct = await readDirectly(transport);
      expect(direct.tools.length).toBeGreaterThan(5);

      expect((await stored(server.id, "tools")).map((item) => item.definition)).toEqual(direct.tools);
      expect((await stored(server.id, "prompts")).map((item) => item.definition)).toEqual(direct.prompts);
      const resources = (await stored(server.id, "resources")).filter((item) => item.kind === "resource");
      expect(resources.map((item) => item.definition)).toEqual(direct.resources);
    });
  }

  it("lists a registered demo backend with its tools", async () => {
    const server = await register({
      name: "Demo tools",
      path: "demo",
      endpoints: [{ url: demo.url }],
      tags: ["demo"],
    });
    const response = await callApi("/api/v1/servers?path=demo");
    const page = (await response.json()) as { items: { id: string; tools: { name: string }[] }[] };
    expect(page.items.map((item) => item.id)).toEqual([server.id]);
    const direct = await readDirectly(new StreamableHTTPClientTransport(new URL(demo.url)));
    expect(page.items[0]?.tools.map((tool) => tool.name)).toEqual(
      direct.tools.map((tool) => (tool as { name: string }).name),
    );
  });

  it("keeps registered servers and issued tokens across a gateway restart (local D1 persists)", async () => {
    const before = (await (await callApi("/api/v1/servers")).json()) as { items: { id: string }[] };
    await gateway.stop();
    gateway = await startLocalGateway({
      port: await freePort(),
      persistDir,
      secrets: { ...SECRETS },
      vars: VARS,
    });
    const after = (await (await callApi("/api/v1/servers")).json()) as { items: { id: string }[] };
    expect(after.items.map((item) => item.id)).toEqual(before.items.map((item) => item.id));
    expect(after.items.length).toBeGreaterThanOrEqual(3);
  });
});
