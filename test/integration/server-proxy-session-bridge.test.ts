// Protocol bridging on `/{path}/mcp` (issue 11): a session-based client (SDK
// 1.x StreamableHTTPClientTransport) gets a session of a server that speaks
// only 2026-07-28 (the relay test server's `/modern`, SDK v2 with legacy
// requests rejected), served by the McpSession object scoped to that server
// (routes/server-mcp-session-bridge.ts). Real upstream, real D1 and Durable
// Objects in workerd, real SDK clients.
import { exports } from "cloudflare:workers";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import type { RelayStats } from "../support/relay-mcp-server.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const gatewayFetch = (input: string | URL | Request, init?: RequestInit) =>
  exports.default.fetch(input, init);

const BOT_GROUP = "session-bridge-bot";
/** May open a session on the 2026 server and list, but is granted none of its tools. */
const VIEWER_GROUP = "session-bridge-viewer";
let adminToken: string;
let modernPath: string;
let bothPath: string;
let hintsPath: string;
/** Two identities of one group granted `ask` on the 2026 server. */
let botToken: string;
let otherBotToken: string;

beforeAll(async () => {
  adminToken = await devAdminToken();
  modernPath = uniquePath("sbridge");
  const modern = await api("/api/v1/servers", {
    method: "POST",
    json: { name: modernPath, path: modernPath, endpoints: [{ url: `${upstreams.relayUrl}/modern` }] },
  });
  expect(modern.status, await modern.clone().text()).toBe(201);
  // Another 2026-07-28-only upstream (hand-written, resources only): it answers `initialize` with 404/-32601.
  hintsPath = uniquePath("shints");
  const hints = await api("/api/v1/servers", {
    method: "POST",
    json: { name: hintsPath, path: hintsPath, endpoints: [{ url: `${upstreams.probeUrl}/cache/mcp` }] },
  });
  expect(hints.status, await hints.clone().text()).toBe(201);
  // A session-based upstream: its session clients keep the pass-through.
  bothPath = uniquePath("spass");
  const both = await api("/api/v1/servers", {
    method: "POST",
    json: { name: bothPath, path: bothPath, endpoints: [{ url: `${upstreams.relayUrl}/mcp` }] },
  });
  expect(both.status, await both.clone().text()).toBe(201);

  const current = (await (await api("/api/v1/scopes")).json()) as {
    document: Record<string, Record<string, unknown>>;
  };
  const document = current.document;
  document.group_mappings = {
    ...document.group_mappings,
    [BOT_GROUP]: ["session-bridge"],
    [VIEWER_GROUP]: ["session-bridge-viewer"],
  };
  document.server_scopes = {
    ...document.server_scopes,
    "session-bridge": [
      { server: modernPath, methods: ["initialize", "ping", "tools/list", "tools/call"], tools: ["ask"] },
    ],
    "session-bridge-viewer": [
      { server: modernPath, methods: ["initialize", "ping", "tools/list", "tools/call"], tools: ["not-ask"] },
    ],
  };
  const replaced = await api("/api/v1/scopes", { method: "PUT", json: document });
  expect(replaced.status, await replaced.clone().text()).toBe(200);
  botToken = tokenFor(principal({ tenant: "default", groups: [BOT_GROUP] }));
  otherBotToken = tokenFor(principal({ tenant: "default", groups: [BOT_GROUP] }));
});

function urlOf(path: string): URL {
  return new URL(`${BASE}/${path}/mcp`);
}

async function relayStats(): Promise<RelayStats> {
  return (await (await fetch(`${upstreams.relayUrl}/stats`)).json()) as RelayStats;
}

async function sessionClient(
  token = adminToken,
  path = modernPath,
): Promise<{ client: LegacyClient; transport: LegacyTransport }> {
  const client = new LegacyClient(
    { name: "session-bridge-test", version: "1.0.0" },
    { capabilities: { elicitation: {} }, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  const transport = new LegacyTransport(urlOf(path), {
    fetch: gatewayFetch,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

function textOf(result: unknown): string {
  const content = (result as { content?: { text?: string }[] }).content ?? [];
  return content.map((block) => block.text ?? "").join("");
}

async function listRequest(token: string, sessionId: string): Promise<Response> {
  return gatewayFetch(urlOf(modernPath), {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-11-25",
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
  });
}

describe("a session client of a 2026-07-28-only server at /{path}/mcp", () => {
  it("gets a session, lists the server's tools under their own names and calls one", async () => {
    const { client, transport } = await sessionClient(botToken);
    expect(transport.sessionId).toMatch(/^[0-9a-f]{64}$/);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(["ask"]);
    // The call completes through the upstream: its input_required reaches this client's handler.
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: "accept",
      content: { color: "teal" },
    }));
    const result = await client.callTool({ name: "ask", arguments: {} });
    expect(textOf(result)).toContain("teal");
    await client.close();
  });

  it("relays the upstream's input_required as an elicitation request whose answer reaches the upstream", async () => {
    const { client } = await sessionClient();
    const asked: { message?: string }[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params as { message?: string });
      return { action: "accept", content: { color: "ochre" } };
    });
    const result = await client.callTool({ name: "ask", arguments: {} });
    expect(asked.map((params) => params.message)).toEqual(["Which color (2026)?"]);
    expect(textOf(result)).toContain("ochre");
    expect((await relayStats()).answers).toContainEqual({ action: "accept", content: { color: "ochre" } });
    await client.close();
  });

  it("refuses a caller with no grant on the server, as the pass-through does", async () => {
    const outsider = tokenFor(principal({ tenant: "default", groups: ["session-bridge-outsider"] }));
    await expect(sessionClient(outsider)).rejects.toThrow(/-32003|Access denied/);
  });

  it("shows a caller without the tool's grant none of it, and its call never reaches the upstream", async () => {
    const viewer = tokenFor(principal({ tenant: "default", groups: [VIEWER_GROUP] }));
    const { client } = await sessionClient(viewer);
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params);
      return { action: "accept", content: { color: "stolen" } };
    });
    expect((await client.listTools()).tools).toEqual([]);
    const call = await client.callTool({ name: "ask", arguments: {} }).catch((error: unknown) => error);
    expect(String(call)).toMatch(/-32003|Access denied/);
    // Had the call reached the upstream, its input_required would have asked this client.
    expect(asked).toEqual([]);
    expect((await relayStats()).answers).not.toContainEqual({
      action: "accept",
      content: { color: "stolen" },
    });
    await client.close();
  });

  it("answers 404 for an unknown session id and for another caller's session", async () => {
    const unknown = await listRequest(botToken, "0".repeat(64));
    expect(unknown.status).toBe(404);
    const { client, transport } = await sessionClient(botToken);
    const sessionId = transport.sessionId ?? "";
    const owner = await listRequest(botToken, sessionId);
    expect(owner.status).toBe(200);
    // Another identity with the very same grants cannot use it.
    const foreign = await listRequest(otherBotToken, sessionId);
    expect(foreign.status).toBe(404);
    await client.close();
  });

  it("reaches an upstream that answers the 2025 handshake with -32601, under its own resource names", async () => {
    const { client } = await sessionClient(adminToken, hintsPath);
    const { resources } = await client.listResources();
    const uri = resources[0]?.uri ?? "";
    expect(uri).not.toContain("mcpgw://");
    const read = await client.readResource({ uri });
    expect(JSON.stringify(read.contents)).toMatch(/read #\d+/);
    await client.close();
  });

  it("leaves a session-based server on the pass-through", async () => {
    const { client, transport } = await sessionClient(adminToken, bothPath);
    // The pass-through hands out a signed token carrying the upstream's session, not a bridge session id.
    expect(transport.sessionId).not.toMatch(/^[0-9a-f]{64}$/);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain("ask");
    await client.close();
  });
});
