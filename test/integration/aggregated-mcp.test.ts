// The aggregated endpoint /mcp inside workerd, with real D1 and real upstreams
// on loopback (server-everything over Streamable HTTP and legacy SSE, the demo
// backend, a probe server that echoes headers and counts calls), through real
// MCP clients: the SDK v2 client (stateless 2026-07-28) and the 1.x SDK client
// (session-based, its session in the McpSession Durable Object).

import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
  ProtocolError,
} from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { type McpSession, SESSION_KEYS, type SessionRecord } from "../../durable-objects/mcp-session.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { sessionObjectName } from "../../worker/platform/durable-objects.ts";
import { getServices } from "../../worker/services.ts";
import type { ServerRecord } from "../../worker/store/registry-store.ts";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const MCP_URL = new URL(`${BASE}/mcp`);
const gatewayFetch = (input: string | URL | Request, init?: RequestInit) =>
  exports.default.fetch(input, init);
const LIMITED_GROUP = "aggregate-bot";

let adminToken: string;
let limited: Principal;
let limitedToken: string;
const paths = { everything: "", legacy: "", demo: "", probe: "" };

async function register(
  path: string,
  endpoint: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [endpoint], ...extra },
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

beforeAll(async () => {
  adminToken = await devAdminToken();
  paths.everything = uniquePath("ev");
  paths.legacy = uniquePath("evsse");
  paths.demo = uniquePath("demo");
  paths.probe = uniquePath("probe");
  await Promise.all([
    register(paths.everything, { url: upstreams.everythingStreamableUrl }, { tags: ["reference"] }),
    register(paths.legacy, { url: upstreams.everythingSseUrl, transport: "sse" }, { tags: ["reference"] }),
    register(paths.demo, { url: upstreams.demoUrl }),
    register(
      paths.probe,
      { url: `${upstreams.aggregateProbeUrl}/mcp` },
      { egress: { type: "bearer", secret: "PROBE_EGRESS_TOKEN" } },
    ),
  ]);

  // A bot that may call a few tools only: never the probe's admin_reset.
  const current = (await (await api("/api/v1/scopes")).json()) as {
    document: Record<string, Record<string, unknown>>;
  };
  const document = current.document;
  document.group_mappings = { ...document.group_mappings, [LIMITED_GROUP]: ["aggregate-limited"] };
  document.server_scopes = {
    ...document.server_scopes,
    "aggregate-limited": [
      { server: paths.probe, methods: ["tools/call"], tools: ["public_info", "echo_headers", "slow_count"] },
      {
        server: paths.everything,
        methods: ["tools/call"],
        tools: ["echo", "trigger-long-running-operation"],
      },
      { server: paths.legacy, methods: ["tools/call"], tools: ["echo"] },
    ],
  };
  const replaced = await api("/api/v1/scopes", { method: "PUT", json: document });
  expect(replaced.status, await replaced.clone().text()).toBe(200);
  limited = principal({ tenant: "default", groups: [LIMITED_GROUP] });
  limitedToken = tokenFor(limited);
});

// ---------------------------------------------------------------------------
// Clients and raw requests

async function modernClient(token = adminToken): Promise<ModernClient> {
  const client = new ModernClient(
    { name: "aggregate-test-v2", version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    },
  );
  const transport = new ModernTransport(MCP_URL, {
    fetch: gatewayFetch,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

interface LegacyConnection {
  client: LegacyClient;
  transport: LegacyTransport;
  sessionId: string;
}

/**
 * `standaloneStream: false` makes a client that never holds the GET stream open
 * (its GET gets 405 before reaching the gateway, as from a server without one):
 * the test runtime's `evictDurableObject` waits for the object's open responses,
 * and a real object is not evicted while it holds a live stream either.
 */
async function legacyClient(
  token = adminToken,
  { standaloneStream = true }: { standaloneStream?: boolean } = {},
): Promise<LegacyConnection> {
  const client = new LegacyClient(
    { name: "aggregate-test-v1", version: "1.0.0" },
    // Ajv compiles to code, which workerd forbids; the v2 package's interpreter has the same interface.
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  const send: typeof fetch = standaloneStream
    ? gatewayFetch
    : (input, init) =>
        init?.method === "GET"
          ? Promise.resolve(new Response(null, { status: 405 }))
          : gatewayFetch(input, init);
  const transport = new LegacyTransport(MCP_URL, {
    fetch: send,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId ?? "" };
}

function sessionStub(sessionId: string) {
  return env.MCP_SESSION.getByName(sessionObjectName(sessionId));
}

function post(
  body: unknown,
  options: { token?: string; session?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<Response> {
  return postMcp(MCP_URL.href, body, { ...options, token: options.token ?? adminToken });
}

/** Opens a session with raw requests (initialize, then initialized). */
async function openSession(token = adminToken): Promise<string> {
  const response = await post(
    rpc("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw-test", version: "1.0.0" },
    }),
    { token },
  );
  expect(response.status, await response.clone().text()).toBe(200);
  const [reply] = await messagesOf(response);
  expect(reply?.result?.protocolVersion).toBe("2025-06-18");
  const session = response.headers.get("mcp-session-id") ?? "";
  expect(session).toMatch(/^[0-9a-f]{64}$/);
  const initialized = await post({ jsonrpc: "2.0", method: "notifications/initialized" }, { token, session });
  expect(initialized.status).toBe(202);
  return session;
}

async function probeStats(): Promise<{ calls: Record<string, number>; requests: number }> {
  const response = await fetch(`${upstreams.aggregateProbeUrl}/stats`);
  return (await response.json()) as { calls: Record<string, number>; requests: number };
}

function textOf(result: unknown): string {
  return (((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[])
    .map((block) => block.text ?? "")
    .join("\n");
}

function toolNames(tools: { name: string }[]): string[] {
  return tools.map((tool) => tool.name);
}

// ---------------------------------------------------------------------------

describe("stateless 2026-07-28 clients (SDK v2 client)", () => {
  it("list every server's tools as {server}__{tool}, plus the registry and broadcast tools", async () => {
    const client = await modernClient();
    const names = toolNames((await client.listTools()).tools);
    expect(names).toEqual(
      expect.arrayContaining([
        `${paths.everything}__echo`,
        `${paths.legacy}__echo`,
        `${paths.demo}__word_count`,
        `${paths.probe}__admin_reset`,
        "list_servers",
        "server_health",
        "discover_tools",
        "invoke_tool",
        "broadcast__echo",
        "broadcast__by_tag__reference",
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
    await client.close();
  });

  it("call tools on Streamable HTTP, legacy SSE and 2026-07-28 upstreams", async () => {
    const client = await modernClient();
    const echo = await client.callTool({ name: `${paths.everything}__echo`, arguments: { message: "hi" } });
    expect(textOf(echo)).toContain("hi");
    const overSse = await client.callTool({
      name: `${paths.legacy}__echo`,
      arguments: { message: "via sse" },
    });
    expect(textOf(overSse)).toContain("via sse");
    const demo = await client.callTool({ name: `${paths.demo}__word_count`, arguments: { text: "a b c" } });
    expect(demo.structuredContent).toMatchObject({ words: 3 });
    await client.close();
  });

  it("relay progress notifications of a streaming tool as they arrive", async () => {
    const client = await modernClient();
    const progress: number[] = [];
    const result = await client.callTool(
      { name: `${paths.everything}__trigger-long-running-operation`, arguments: { duration: 1, steps: 3 } },
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(textOf(result)).toMatch(/completed/i);
    expect(progress).toEqual([1, 2, 3]);
    await client.close();
  });

  it("list and read resources and templates under mcpgw://{server}/{original uri}", async () => {
    const client = await modernClient();
    const { resources } = await client.listResources();
    const wrapped = resources.find((resource) =>
      resource.uri.startsWith(`mcpgw://${paths.everything}/demo://`),
    );
    expect(wrapped).toBeDefined();
    const read = await client.readResource({ uri: wrapped?.uri ?? "" });
    expect(read.contents[0]?.uri).toBe(wrapped?.uri);

    const { resourceTemplates } = await client.listResourceTemplates();
    const template = `mcpgw://${paths.everything}/demo://resource/dynamic/text/{resourceId}`;
    expect(resourceTemplates.map((entry) => entry.uriTemplate)).toContain(template);
    const expanded = await client.readResource({ uri: template.replace("{resourceId}", "7") });
    expect(expanded.contents[0]?.uri).toBe(`mcpgw://${paths.everything}/demo://resource/dynamic/text/7`);
    expect(JSON.stringify(expanded.contents[0])).toContain("7");
    await client.close();
  });

  it("list and get prompts as {server}__{prompt}, with embedded resource URIs wrapped", async () => {
    const client = await modernClient();
    const names = (await client.listPrompts()).prompts.map((prompt) => prompt.name);
    expect(names).toEqual(
      expect.arrayContaining([`${paths.everything}__simple-prompt`, `${paths.demo}__meeting_time`]),
    );
    const simple = await client.getPrompt({ name: `${paths.everything}__simple-prompt` });
    expect(simple.messages.length).toBeGreaterThan(0);
    const embedded = await client.getPrompt({
      name: `${paths.everything}__resource-prompt`,
      arguments: { resourceType: "Text", resourceId: "3" },
    });
    expect(JSON.stringify(embedded.messages)).toContain(
      `mcpgw://${paths.everything}/demo://resource/dynamic/text/3`,
    );
    await client.close();
  });

  it("send the server's egress credential upstream, never the caller's token", async () => {
    const client = await modernClient(limitedToken);
    const result = await client.callTool({ name: `${paths.probe}__echo_headers`, arguments: {} });
    const headers = JSON.parse(textOf(result)) as Record<string, string>;
    expect(headers.authorization).toBe("Bearer probe-egress-secret-value");
    expect(JSON.stringify(headers)).not.toContain(limitedToken);
    await client.close();
  });
});

describe("stateless tools/call without the SDK's serving machinery (aggregated/direct-call.ts)", () => {
  function statelessCall(name: string, extraMeta: Record<string, unknown> = {}, token = adminToken) {
    return post(
      {
        jsonrpc: "2.0",
        id: 41,
        method: "tools/call",
        params: {
          name,
          arguments: {},
          _meta: {
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": { name: "direct-test", version: "1" },
            ...extraMeta,
          },
        },
      },
      {
        token,
        headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
      },
    );
  }

  it("answers exactly as the SDK path does, results and errors alike", async () => {
    // A log level in the envelope sends the same call through the SDK's server instead.
    const viaSdk = { "io.modelcontextprotocol/logLevel": "emergency" };
    for (const name of [`${paths.probe}__public_info`, `${paths.probe}__no_such_tool`, "nothing"]) {
      const direct = await statelessCall(name);
      const sdk = await statelessCall(name, viaSdk);
      expect(direct.status).toBe(sdk.status);
      expect(direct.headers.get("content-type")).toContain("application/json");
      const [directReply] = await messagesOf(direct);
      const [sdkReply] = await messagesOf(sdk);
      expect(directReply).toEqual(sdkReply);
      expect(directReply?.id).toBe(41);
    }
    const [ok] = await messagesOf(await statelessCall(`${paths.probe}__public_info`));
    expect(ok?.result).toMatchObject({
      content: [{ type: "text", text: "public_info ran" }],
      resultType: "complete",
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "mcp-gateway" } },
    });
  });

  it("refuses a denied tool before any upstream request", async () => {
    const before = await probeStats();
    const response = await statelessCall(`${paths.probe}__admin_reset`, {}, limitedToken);
    const [reply] = await messagesOf(response);
    expect(reply?.error?.code).toBe(-32003);
    expect((await probeStats()).calls.admin_reset ?? 0).toBe(before.calls.admin_reset ?? 0);
  });
});

describe("session-based clients (SDK 1.x client)", () => {
  it("list and call tools in a session held by the McpSession Durable Object", async () => {
    const { client, transport, sessionId } = await legacyClient();
    expect(sessionId).toMatch(/^[0-9a-f]{64}$/);
    const names = toolNames((await client.listTools()).tools);
    expect(names).toEqual(expect.arrayContaining([`${paths.legacy}__echo`, `${paths.demo}__convert_units`]));
    const result = await client.callTool({
      name: `${paths.legacy}__echo`,
      arguments: { message: "over sse" },
    });
    expect(textOf(result)).toContain("over sse");
    const demo = await client.callTool({
      name: `${paths.demo}__convert_units`,
      arguments: { value: 1, from: "km", to: "m" },
    });
    expect(demo.structuredContent).toMatchObject({ result: 1000 });

    const stored = await runInDurableObject(sessionStub(sessionId), (_: McpSession, state) =>
      state.storage.get<SessionRecord>(SESSION_KEYS.session),
    );
    expect(stored).toMatchObject({ id: sessionId, protocolVersion: "2025-11-25", tenant: "default" });
    expect(stored?.clientInfo).toMatchObject({ name: "aggregate-test-v1" });
    await transport.terminateSession();
    await client.close();
  });

  it("relay progress notifications in a session", async () => {
    const { client, transport } = await legacyClient();
    const progress: number[] = [];
    const result = await client.callTool(
      { name: `${paths.everything}__trigger-long-running-operation`, arguments: { duration: 1, steps: 4 } },
      undefined,
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(textOf(result)).toMatch(/completed/i);
    expect(progress).toEqual([1, 2, 3, 4]);
    await transport.terminateSession();
    await client.close();
  });

  it("reuse the upstream session from one call to the next, across eviction too", async () => {
    const { client, transport, sessionId } = await legacyClient(limitedToken, { standaloneStream: false });
    await client.callTool({ name: `${paths.probe}__public_info`, arguments: {} });
    const before = await probeStats();
    await client.callTool({ name: `${paths.probe}__public_info`, arguments: {} });
    const after = await probeStats();
    // One POST (the call itself): no second initialize.
    expect(after.requests - before.requests).toBe(1);

    await evictDurableObject(sessionStub(sessionId));
    await client.callTool({ name: `${paths.probe}__public_info`, arguments: {} });
    expect((await probeStats()).requests - after.requests).toBe(1);
    const keys = await runInDurableObject(sessionStub(sessionId), async (_: McpSession, state) => [
      ...(await state.storage.list({ prefix: SESSION_KEYS.upstreamPrefix })).keys(),
    ]);
    expect(keys).toHaveLength(1);
    await transport.terminateSession();
    await client.close();
  });

  it("run concurrent calls in one upstream session without mixing up their answers", async () => {
    const { client, transport, sessionId } = await legacyClient(adminToken, { standaloneStream: false });
    const tool = `${paths.everything}__trigger-long-running-operation`;
    // The first call opens the upstream session; the next ones all resume it at the same time.
    await client.callTool({ name: tool, arguments: { duration: 0.01, steps: 1 } });
    const runs = [
      { duration: 0.4, steps: 2 },
      { duration: 0.2, steps: 3 },
      { duration: 0.05, steps: 4 },
    ];
    // Each SDK client conversation numbers its requests from 0: without distinct ids per
    // conversation the upstream would route one call's answer to another (or never answer).
    const results = await Promise.all(
      runs.map((args) => client.callTool({ name: tool, arguments: args }, undefined, { timeout: 15_000 })),
    );
    results.forEach((result, index) => {
      const run = runs[index];
      expect(textOf(result)).toContain(`Duration: ${run?.duration} seconds, Steps: ${run?.steps}.`);
    });
    const keys = await runInDurableObject(sessionStub(sessionId), async (_: McpSession, state) => [
      ...(await state.storage.list({ prefix: SESSION_KEYS.upstreamPrefix })).keys(),
    ]);
    // All of them in the one upstream session of this client session.
    expect(keys).toHaveLength(1);
    await transport.terminateSession();
    await client.close();
  });

  it("survive eviction of the Durable Object", async () => {
    const { client, transport, sessionId } = await legacyClient(adminToken, { standaloneStream: false });
    await client.callTool({ name: `${paths.everything}__echo`, arguments: { message: "before" } });
    await evictDurableObject(sessionStub(sessionId));
    const after = await client.callTool({
      name: `${paths.everything}__echo`,
      arguments: { message: "after" },
    });
    expect(textOf(after)).toContain("after");
    expect(toolNames((await client.listTools()).tools)).toContain(`${paths.everything}__echo`);
    await transport.terminateSession();
    await client.close();
  });

  it("are bound to the identity that created them: another identity gets 404", async () => {
    const session = await openSession(limitedToken);
    const other = tokenFor(principal({ tenant: "default", groups: [LIMITED_GROUP] }));
    const stolen = await post(rpc("tools/list"), { token: other, session });
    expect(stolen.status).toBe(404);
    // Both MCP SDKs answer an unknown session with -32001 (one code on every endpoint).
    expect((await messagesOf(stolen))[0]?.error?.code).toBe(-32001);
    const refusedDelete = await exports.default.fetch(MCP_URL, {
      method: "DELETE",
      headers: { authorization: `Bearer ${other}`, "mcp-session-id": session },
    });
    expect(refusedDelete.status).toBe(404);
    // The owner still has it.
    const owner = await post(rpc("tools/list"), { token: limitedToken, session });
    expect(owner.status).toBe(200);
    expect((await messagesOf(owner))[0]?.result?.tools).toBeDefined();
  });

  it("end with DELETE", async () => {
    const session = await openSession();
    const ended = await exports.default.fetch(MCP_URL, {
      method: "DELETE",
      headers: { authorization: `Bearer ${adminToken}`, "mcp-session-id": session },
    });
    expect(ended.status).toBe(204);
    const after = await post(rpc("tools/list"), { session });
    expect(after.status).toBe(404);
    const stored = await runInDurableObject(sessionStub(session), (_: McpSession, state) =>
      state.storage.get(SESSION_KEYS.session),
    );
    expect(stored).toBeUndefined();
  });

  it("expire when idle (alarm), and not before", async () => {
    const session = await openSession();
    const stub = sessionStub(session);
    // The alarm of a session in use only moves itself forward.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const alive = await post(rpc("ping"), { session });
    expect(alive.status).toBe(200);
    expect((await messagesOf(alive))[0]?.result).toEqual({});

    await evictDurableObject(stub);
    await runInDurableObject(stub, async (_: McpSession, state) => {
      const record = await state.storage.get<SessionRecord>(SESSION_KEYS.session);
      if (!record) throw new Error("session record missing");
      await state.storage.put(SESSION_KEYS.session, { ...record, lastSeenAt: Date.now() - 31 * 60_000 });
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const expired = await post(rpc("ping"), { session });
    expect(expired.status).toBe(404);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("answer GET with the standalone stream (relay: test/integration/relay-mcp.test.ts)", async () => {
    const session = await openSession();
    const response = await exports.default.fetch(MCP_URL, {
      method: "GET",
      headers: {
        authorization: `Bearer ${adminToken}`,
        accept: "text/event-stream",
        "mcp-session-id": session,
      },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    await response.body?.cancel();
  });
});

describe("policy", () => {
  it("lists only the tools the caller may call", async () => {
    const client = await modernClient(limitedToken);
    const names = toolNames((await client.listTools()).tools);
    expect(names).toEqual(
      expect.arrayContaining([`${paths.probe}__public_info`, `${paths.everything}__echo`, "broadcast__echo"]),
    );
    expect(names).not.toContain(`${paths.probe}__admin_reset`);
    expect(names.some((name) => name.startsWith(`${paths.demo}__`))).toBe(false);
    expect(names).not.toContain(`${paths.everything}__get-sum`);
    await client.close();
  });

  it("refuses a denied tool before any upstream request, in both generations", async () => {
    const before = await probeStats();
    const client = await modernClient(limitedToken);
    const error = await client.callTool({ name: `${paths.probe}__admin_reset`, arguments: {} }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(-32003);
    await client.close();

    const session = await openSession(limitedToken);
    const refused = await post(rpc("tools/call", { name: `${paths.probe}__admin_reset`, arguments: {} }, 9), {
      token: limitedToken,
      session,
    });
    const [reply] = await messagesOf(refused);
    expect(reply?.error?.code).toBe(-32003);
    expect(reply?.error?.data).toMatchObject({ reason: "tool_not_granted" });

    const after = await probeStats();
    expect(after.calls.admin_reset).toBeUndefined();
    expect(after.requests).toBe(before.requests);
  });

  it("records one audit event per request, without arguments", async () => {
    const client = await modernClient(limitedToken);
    await client.callTool({
      name: `${paths.everything}__echo`,
      arguments: { message: "secret-argument-value" },
    });
    await client
      .callTool({ name: `${paths.demo}__word_count`, arguments: { text: "x" } })
      .catch(() => undefined);
    await client.close();
    // Audit writes run after the response (waitUntil); give them a moment.
    // The subject already has rows from earlier tests: wait for these two calls' rows.
    let rows: { tool: string; decision: string; outcome: string; detail: string | null }[] = [];
    const landed = () =>
      rows.some((row) => row.tool === "echo") && rows.some((row) => row.tool === "word_count");
    for (let attempt = 0; attempt < 100 && !landed(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const result = await env.DB.prepare(
        "select tool, decision, outcome, detail from audit_events where subject = ? and method = 'tools/call' order by occurred_at",
      )
        .bind(limited.subject)
        .all<{ tool: string; decision: string; outcome: string; detail: string | null }>();
      rows = result.results;
    }
    expect(rows.map((row) => [row.tool, row.decision, row.outcome])).toEqual(
      expect.arrayContaining([
        ["echo", "allow", "ok"],
        ["word_count", "deny", "denied"],
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain("secret-argument-value");
  });
});

describe("broadcast tools", () => {
  it("call every server concurrently and report each, a failing one included", async () => {
    const down = uniquePath("evdown");
    await register(down, { url: upstreams.everythingStreamableUrl }, { tags: ["reference"] });
    // The server goes away after registration: its stored catalog still lists echo.
    const store = getServices(env).store;
    const record = await store.getServerByPath(down);
    if (!record) throw new Error("server missing");
    await store.updateServer({
      ...record,
      endpoints: [{ url: "http://127.0.0.1:9/mcp", transport: "streamable-http", weight: 1 }],
    });

    const client = await modernClient();
    const result = await client.callTool({
      name: "broadcast__echo",
      arguments: { arguments: { message: "all" } },
    });
    const report = result.structuredContent as {
      totals: { servers: number; succeeded: number; failed: number };
      results: { server: string; ok: boolean; durationMs: number; error?: { kind: string } }[];
    };
    expect(report.totals).toMatchObject({ succeeded: 2, failed: 1 });
    expect(report.results.map((outcome) => outcome.server).sort()).toEqual(
      [paths.everything, paths.legacy, down].sort(),
    );
    const failed = report.results.find((outcome) => outcome.server === down);
    expect(failed).toMatchObject({ ok: false, error: { kind: "unavailable" } });
    for (const outcome of report.results) expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.isError).toBeFalsy();

    const byTag = await client.callTool({
      name: "broadcast__by_tag__reference",
      arguments: { tool: "echo", arguments: { message: "tagged" }, timeout_ms: 5_000 },
    });
    const tagReport = byTag.structuredContent as {
      tag: string;
      totals: { succeeded: number; failed: number };
    };
    expect(tagReport).toMatchObject({ tag: "reference", totals: { succeeded: 2, failed: 1 } });
    await client.close();
  });

  it("offer broadcast__{tool} only for tools the caller may call on two or more servers", async () => {
    const client = await modernClient(limitedToken);
    const names = toolNames((await client.listTools()).tools);
    expect(names).toContain("broadcast__echo");
    expect(names).not.toContain("broadcast__trigger-long-running-operation");
    await client.close();
  });
});

describe("registry tools", () => {
  it("list_servers and server_health answer from the registry, filtered by policy", async () => {
    const client = await modernClient(limitedToken);
    const listed = await client.callTool({ name: "list_servers", arguments: {} });
    const servers = (listed.structuredContent as { servers: { server: string; tools: string[] }[] }).servers;
    expect(servers.map((entry) => entry.server).sort()).toEqual(
      expect.arrayContaining([paths.everything, paths.legacy, paths.probe]),
    );
    expect(servers.map((entry) => entry.server)).not.toContain(paths.demo);
    expect(servers.find((entry) => entry.server === paths.probe)?.tools).not.toContain(
      `${paths.probe}__admin_reset`,
    );

    const health = await client.callTool({ name: "server_health", arguments: { server: paths.probe } });
    expect(health.structuredContent).toMatchObject({ servers: [{ server: paths.probe, status: "healthy" }] });
    await client.close();
  });

  it("invoke_tool calls by server and name under the same policy", async () => {
    const client = await modernClient();
    const invoked = await client.callTool({
      name: "invoke_tool",
      arguments: { server: paths.demo, tool: "word_count", arguments: { text: "one two" } },
    });
    expect(invoked.structuredContent).toMatchObject({ words: 2 });
    await client.close();

    const bot = await modernClient(limitedToken);
    const denied = await bot
      .callTool({ name: "invoke_tool", arguments: { server: paths.probe, tool: "admin_reset" } })
      .then(
        () => null,
        (caught: unknown) => caught,
      );
    expect((denied as ProtocolError).code).toBe(-32003);
    await bot.close();
  });

  it("discover_tools finds tools through the search service, only those the caller may call", async () => {
    const admin = await modernClient();
    const found = await admin.callTool({
      name: "discover_tools",
      arguments: { query: "count the words of a text" },
    });
    const tools = (found.structuredContent as { tools: { name: string; server: string; tool: string }[] })
      .tools;
    expect(tools[0]).toMatchObject({
      name: `${paths.demo}__word_count`,
      server: paths.demo,
      tool: "word_count",
    });
    const dangerous = await admin.callTool({
      name: "discover_tools",
      arguments: { query: "reset admin dangerous" },
    });
    const adminNames = (dangerous.structuredContent as { tools: { name: string }[] }).tools.map(
      (tool) => tool.name,
    );
    expect(adminNames).toContain(`${paths.probe}__admin_reset`);
    await admin.close();

    const bot = await modernClient(limitedToken);
    const hidden = await bot.callTool({
      name: "discover_tools",
      arguments: { query: "reset admin dangerous" },
    });
    const names = (hidden.structuredContent as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(names).not.toContain(`${paths.probe}__admin_reset`);
    expect(
      names.every(
        (name) =>
          name.startsWith(`${paths.probe}__`) ||
          name.startsWith(`${paths.everything}__`) ||
          name.startsWith(`${paths.legacy}__`),
      ),
    ).toBe(true);
    await bot.close();
  });
});

/** Registers a working copy of the probe, then points its stored record elsewhere (the catalog stays `ok`). */
async function probeMovedTo(
  endpoints: { url: string; weight?: number }[],
  changes: Partial<ServerRecord> = {},
): Promise<string> {
  const path = uniquePath("moved");
  await register(path, { url: `${upstreams.aggregateProbeUrl}/mcp` });
  const store = getServices(env).store;
  const record = await store.getServerByPath(path);
  if (!record) throw new Error("server missing");
  await store.updateServer({
    ...record,
    ...changes,
    endpoints: endpoints.map((endpoint) => ({ transport: "streamable-http", weight: 1, ...endpoint })),
  });
  return path;
}

describe("upstream failures", () => {
  it("fail over to the next replica when one cannot be reached", async () => {
    // The dead replica weighs 1000 to 1, so it is nearly always tried first.
    const path = await probeMovedTo([
      { url: "http://127.0.0.1:9/mcp", weight: 1000 },
      { url: `${upstreams.aggregateProbeUrl}/mcp`, weight: 1 },
    ]);
    const client = await modernClient();
    const result = await client.callTool({ name: `${path}__public_info`, arguments: {} });
    expect(textOf(result)).toBe("public_info ran");
    await client.close();
  });

  it("answer -32011 when the server's timeout passes, and -32010 for an upstream that is not MCP", async () => {
    const slow = await probeMovedTo([{ url: `${upstreams.aggregateProbeUrl}/slow/mcp` }], {
      timeoutMs: 1_000,
    });
    const garbage = await probeMovedTo([{ url: `${upstreams.aggregateProbeUrl}/garbage/mcp` }]);
    const client = await modernClient();
    const started = Date.now();
    const timedOut = await client.callTool({ name: `${slow}__public_info`, arguments: {} }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect((timedOut as ProtocolError).code).toBe(-32011);
    expect(Date.now() - started).toBeLessThan(5_000);
    const broken = await client.callTool({ name: `${garbage}__public_info`, arguments: {} }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect((broken as ProtocolError).code).toBe(-32010);
    expect((broken as ProtocolError).message).toMatch(/unavailable/);
    // The gateway is still up.
    expect(textOf(await client.callTool({ name: "list_servers", arguments: {} }))).toContain(slow);
    await client.close();
  });
});

describe("bad input", () => {
  it("answers invalid JSON with a parse error", async () => {
    const response = await post(undefined, { raw: "{not json" });
    expect(response.status).toBe(400);
    expect((await messagesOf(response))[0]?.error?.code).toBe(-32700);
  });

  it("answers a body that is not JSON-RPC with invalid request", async () => {
    const response = await post({ hello: "world" });
    expect(response.status).toBe(400);
    expect((await messagesOf(response))[0]?.error?.code).toBe(-32600);
  });

  it("answers an unknown method with method not found, in both generations", async () => {
    const session = await openSession();
    const legacy = await post(rpc("no/such-method"), { session });
    expect((await messagesOf(legacy))[0]?.error?.code).toBe(-32601);

    const modern = await post(
      rpc("no/such-method", {
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
        },
      }),
      { headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "no/such-method" } },
    );
    expect((await messagesOf(modern))[0]?.error?.code).toBe(-32601);
  });

  it("refuses a 2026-07-28 request whose Mcp-Method header does not match the body with 400 and -32020", async () => {
    const meta = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
    };
    const mismatched = await post(rpc("tools/list", { _meta: meta }), {
      headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "prompts/list" },
    });
    expect(mismatched.status).toBe(400);
    expect((await messagesOf(mismatched))[0]?.error?.code).toBe(-32020);
    const matching = await post(rpc("tools/list", { _meta: meta }), {
      headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" },
    });
    expect(matching.status).toBe(200);
    expect((await messagesOf(matching))[0]?.result).toBeDefined();
  });

  it("answers an unknown tool with invalid params", async () => {
    const client = await modernClient();
    const error = await client.callTool({ name: `${paths.everything}__no-such-tool`, arguments: {} }).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect((error as ProtocolError).code).toBe(-32602);
    await client.close();
  });

  it("answers an unknown or malformed session id with 404 and a request without one with 400", async () => {
    const unknown = await post(rpc("tools/list"), { session: "a".repeat(64) });
    expect(unknown.status).toBe(404);
    expect((await messagesOf(unknown))[0]?.error?.code).toBe(-32001);
    const malformed = await post(rpc("tools/list"), { session: "not-a-session" });
    expect(malformed.status).toBe(404);
    const missing = await post(rpc("tools/list"));
    expect(missing.status).toBe(400);
    expect((await messagesOf(missing))[0]?.error?.message).toMatch(/Mcp-Session-Id/);
  });

  it("refuses a foreign Origin with 403, a missing token with 401, a non-JSON body with 415", async () => {
    const foreign = await post(rpc("tools/list"), { headers: { origin: "https://evil.example" } });
    expect(foreign.status).toBe(403);
    const anonymous = await exports.default.fetch(MCP_URL, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify(rpc("tools/list")),
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata=/);
    const text = await post(undefined, { raw: "hello", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
  });
});
