// Transport bridging on the per-server path, the other direction from
// server-proxy-sessions.test.ts: a legacy HTTP+SSE client (the SDK 1.x
// SSEClientTransport) reaches a server that speaks only Streamable HTTP at
// /{path}/sse, through a LegacySseSession object bridging onto the per-server
// proxy. Real upstreams on loopback: the probe server (sessions, progress,
// echoes the headers it got) and the relay server (elicitation on its
// standalone GET stream). Checked: initialize, tools/list cut to the caller's
// grants, tools/call, a denied call that never reaches the upstream (and its
// audit row), progress, an upstream's elicitation reaching the client and its
// answer reaching the upstream, no token passthrough, the stream bound to its
// caller, the stream closing when the session ends, and the upstream session
// released when the client goes.
import { env, exports } from "cloudflare:workers";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { SERVER_LOOKUP_TTL_MS } from "../../worker/registry/server-directory.ts";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { rpc } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import { legacySseClient, textOf } from "../support/sdk-client.ts";

usePrincipalSeam();
const { probeUrl, relayUrl } = inject("upstreams");
const gatewayFetch = (input: string | URL | Request, init?: RequestInit) =>
  exports.default.fetch(input, init);
const BOT_GROUP = "legacy-sse-bot";

let adminToken = "";
let botToken = "";
let probePath = "";
let relayPath = "";

async function register(path: string, url: string, extra: Record<string, unknown> = {}): Promise<string> {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url }], ...extra },
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

beforeAll(async () => {
  adminToken = await devAdminToken();
  probePath = uniquePath("sseprobe");
  relayPath = uniquePath("sserelay");
  await register(probePath, `${probeUrl}/mcp`, {
    egress: { type: "bearer", secret: "PROBE_EGRESS_TOKEN" },
  });
  await register(relayPath, `${relayUrl}/mcp`);
  const current = (await (await api("/api/v1/scopes")).json()) as {
    document: Record<string, Record<string, unknown>>;
  };
  const document = current.document;
  document.group_mappings = { ...document.group_mappings, [BOT_GROUP]: ["legacy-sse-limited"] };
  document.server_scopes = {
    ...document.server_scopes,
    "legacy-sse-limited": [
      {
        server: probePath,
        methods: ["initialize", "ping", "tools/list", "tools/call"],
        tools: ["public_info", "echo_headers", "slow_count"],
      },
    ],
  };
  const replaced = await api("/api/v1/scopes", { method: "PUT", json: document });
  expect(replaced.status, await replaced.clone().text()).toBe(200);
  botToken = tokenFor(principal({ tenant: "default", groups: [BOT_GROUP] }));
});

/** An SDK 1.x client over legacy HTTP+SSE, connected to `/{path}/sse` as the bearer of `token`. */
const sseClient = (path: string, token = adminToken, client?: Client) =>
  legacySseClient(`/${path}/sse`, token, client);

function newClient(capabilities: Record<string, unknown> = {}) {
  return new Client(
    { name: "legacy-sse-test", version: "1.0.0" },
    { capabilities, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
}

async function probeCalls(tool: string): Promise<number> {
  const stats = (await (await fetch(`${probeUrl}/stats`)).json()) as { calls: Record<string, number> };
  return stats.calls[tool] ?? 0;
}

/** Whether the probe server still holds upstream session `id` (a ping in it is answered, not 404). */
async function probeHolds(id: string): Promise<boolean> {
  const response = await fetch(`${probeUrl}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: "Bearer probe-egress-secret-value",
      "mcp-session-id": id,
    },
    body: JSON.stringify(rpc("ping", {}, 1)),
  });
  await response.arrayBuffer();
  return response.status === 200;
}

describe("a legacy HTTP+SSE client of a Streamable-HTTP-only server at /{path}/sse", () => {
  it("initializes, lists and calls tools; the upstream gets the gateway's credential, never the client's", async () => {
    const { client, endpoint } = await sseClient(probePath);
    expect(endpoint).toMatch(new RegExp(`^/${probePath}/message\\?sessionId=[0-9a-f]{64}$`));
    expect(client.getServerVersion()?.name).toBe("probe");
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("admin_reset");
    const headers = JSON.parse(
      textOf(await client.callTool({ name: "echo_headers", arguments: {} })),
    ) as Record<string, string>;
    expect(headers.authorization).toBe("Bearer probe-egress-secret-value");
    expect(JSON.stringify(headers)).not.toContain(adminToken);
    // The upstream session the bridge opened, carried on every exchange.
    expect(headers["mcp-session-id"]).toBeTruthy();
    await client.close();
  });

  it("holds a caller to its grants: tools/list is cut and a denied call never reaches the upstream", async () => {
    const { client } = await sseClient(probePath, botToken);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      "echo_headers",
      "public_info",
      "slow_count",
    ]);
    expect(textOf(await client.callTool({ name: "public_info", arguments: {} }))).toContain("public_info");
    const before = await probeCalls("admin_reset");
    await expect(client.callTool({ name: "admin_reset", arguments: {} })).rejects.toThrow(
      /not granted|denied/i,
    );
    expect(await probeCalls("admin_reset")).toBe(before);
    let rows: { decision: string; outcome: string; reason: string }[] = [];
    for (let attempt = 0; attempt < 50 && rows.length === 0; attempt++) {
      const result = await env.DB.prepare(
        "select decision, outcome, reason from audit_events where server_path = ? and tool = 'admin_reset'",
      )
        .bind(probePath)
        .all<{ decision: string; outcome: string; reason: string }>();
      rows = result.results;
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(rows[0]).toEqual({ decision: "deny", outcome: "denied", reason: "tool_not_granted" });
    await client.close();
  });

  it("relays the upstream's progress notifications to the client's stream", async () => {
    const { client } = await sseClient(probePath);
    const progress: number[] = [];
    const result = await client.callTool({ name: "slow_count", arguments: { steps: 3 } }, undefined, {
      onprogress: (update) => progress.push(update.progress),
    });
    expect(progress).toEqual([1, 2, 3]);
    expect(result.isError ?? false).toBe(false);
    await client.close();
  });

  it("bridges an upstream's elicitation (on its GET stream) to the client and the answer back", async () => {
    const client = newClient({ elicitation: {} });
    const color = `teal-${crypto.randomUUID().slice(0, 8)}`;
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { color } };
    });
    await sseClient(relayPath, adminToken, client);
    const result = await client.callTool({ name: "ask", arguments: {} });
    expect(asked).toEqual(["Which color?"]);
    expect(textOf(result)).toContain(color);
    const stats = (await (await fetch(`${relayUrl}/stats`)).json()) as { answers: unknown[] };
    expect(JSON.stringify(stats.answers)).toContain(color);
    await client.close();
  });

  it("binds the stream to its caller: another identity's POST is refused, and both need a token", async () => {
    const { client, endpoint } = await sseClient(probePath, botToken);
    const intruder = await gatewayFetch(`${BASE}${endpoint}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(rpc("tools/call", { name: "admin_reset", arguments: {} }, 9)),
    });
    expect(intruder.status).toBe(404);
    await intruder.body?.cancel();
    const anonymous = await gatewayFetch(`${BASE}${endpoint}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rpc("tools/list", {}, 10)),
    });
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const anonymousStream = await gatewayFetch(`${BASE}/${probePath}/sse`, {
      headers: { accept: "text/event-stream" },
    });
    expect(anonymousStream.status).toBe(401);
    await anonymousStream.body?.cancel();
    // The owner's session is untouched.
    expect((await client.listTools()).tools.length).toBe(3);
    await client.close();
  });

  it("releases the upstream session when the client goes away", async () => {
    const { client, endpoint } = await sseClient(probePath);
    const headers = JSON.parse(
      textOf(await client.callTool({ name: "echo_headers", arguments: {} })),
    ) as Record<string, string>;
    const upstreamSession = headers["mcp-session-id"] ?? "";
    expect(await probeHolds(upstreamSession)).toBe(true);
    await client.close();
    // A stream the client left is noticed at its next write: a keepalive comment
    // (every 15 s) or, here at once, the answer to a POST still in flight.
    const late = await gatewayFetch(`${BASE}${endpoint}`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify(rpc("ping", {}, 11)),
    });
    await late.body?.cancel();
    let held = true;
    for (let attempt = 0; attempt < 100 && held; attempt++) {
      held = await probeHolds(upstreamSession);
      if (held) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(held).toBe(false);
  });

  it("closes the client's stream when its session ends", async () => {
    const path = uniquePath("sseend");
    const id = await register(path, `${probeUrl}/mcp`);
    const stream = await gatewayFetch(`${BASE}/${path}/sse`, {
      headers: { authorization: `Bearer ${adminToken}`, accept: "text/event-stream" },
    });
    expect(stream.status).toBe(200);
    const events = sseEvents(stream);
    const opened = await events.next();
    expect(opened.value?.event).toBe("endpoint");
    const endpoint = opened.value?.data ?? "";
    const post = async (body: unknown) => {
      const response = await gatewayFetch(`${BASE}${endpoint}`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await response.body?.cancel();
      return response.status;
    };
    const init = {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    };
    expect(await post(rpc("initialize", init, 1))).toBe(202);
    expect(JSON.parse((await events.next()).value?.data ?? "{}")).toMatchObject({ id: 1, result: {} });
    // The server is disabled: the session is over (the per-server path would answer 404).
    const disabled = await api(`/api/v1/servers/${id}/disable`, { method: "POST" });
    expect(disabled.status, await disabled.clone().text()).toBe(200);
    // The object holding the stream sees registry changes made elsewhere once its lookup cache expires.
    await new Promise((resolve) => setTimeout(resolve, SERVER_LOOKUP_TTL_MS + 100));
    expect(await post(rpc("tools/list", {}, 2))).toBe(202);
    const ended = await events.next();
    expect(JSON.parse(ended.value?.data ?? "{}")).toMatchObject({
      error: { message: `No enabled MCP server at /${path}` },
    });
    expect((await events.next()).done).toBe(true);
    // Its id is gone with it.
    expect(await post(rpc("ping", {}, 3))).toBe(404);
  });
});

/** The events of an SSE response, in order (comments skipped). */
async function* sseEvents(response: Response): AsyncGenerator<{ event: string; data: string }> {
  const reader = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream())
    .getReader();
  let buffer = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      const lines = block.split("\n").filter((line) => !line.startsWith(":"));
      if (lines.length === 0) continue;
      const field = (name: string) =>
        lines
          .filter((line) => line.startsWith(`${name}:`))
          .map((line) => line.slice(name.length + 1).trimStart())
          .join("\n");
      yield { event: field("event") || "message", data: field("data") };
    }
  }
}
