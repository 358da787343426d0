// Resumable session streams (issue 11, SEP-1699) on /mcp and /v/{name}/mcp: a
// real session-based upstream (test/support/polling-mcp-server.ts, SDK 1.x
// with an event store) closes a call's stream mid-call; the gateway closes
// its client's stream too, finishes the call in the McpSession object, and
// the client's GET with Last-Event-ID gets what it missed and the result.
// Real SDK 1.x clients and raw HTTP, real D1 and Durable Objects in workerd.
import { exports } from "cloudflare:workers";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { type SseEvent, SseParser } from "../../worker/protocol/sse.ts";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";
import type { PollingStats } from "../support/polling-mcp-server.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");

let adminToken: string;
let path: string;
let virtualName: string;

beforeAll(async () => {
  adminToken = await devAdminToken();
  path = uniquePath("polling");
  const created = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.pollingUrl}/mcp` }] },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  virtualName = `${path}-v`;
  const virtual = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name: virtualName, tools: [{ server: path, tool: "poll" }] },
  });
  expect(virtual.status, await virtual.clone().text()).toBe(201);
});

async function pollingStats(): Promise<PollingStats> {
  return (await (await fetch(`${upstreams.pollingUrl}/stats`)).json()) as PollingStats;
}

interface Seen {
  method: string;
  lastEventId: string | null;
}

/** An SDK 1.x session client on `endpoint`; `seen` lists its HTTP requests. */
async function sessionClient(endpoint: string, token = adminToken) {
  const seen: Seen[] = [];
  const logs: string[] = [];
  const client = new Client(
    { name: "streams-test", version: "1.0.0" },
    { capabilities: {}, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
    logs.push(String(notification.params.data));
  });
  const transport = new StreamableHTTPClientTransport(new URL(`${BASE}${endpoint}`), {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      seen.push({ method: init?.method ?? "GET", lastEventId: headers.get("last-event-id") });
      return exports.default.fetch(input, init);
    },
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport, seen, logs };
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((block) => block.text ?? "").join("");
}

/** Every event of an SSE body, until it ends. */
async function readEvents(response: Response): Promise<SseEvent[]> {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    events.push(...parser.push(decoder.decode(value, { stream: true })));
  }
  events.push(...parser.end());
  return events;
}

function messagesOf(events: SseEvent[]): Record<string, unknown>[] {
  return events.filter((event) => event.data !== "").map((event) => JSON.parse(event.data));
}

const ENDPOINTS: [string, () => string, () => string][] = [
  ["/mcp", () => "/mcp", () => `${path}__poll`],
  ["/v/{name}/mcp", () => `/v/${virtualName}/mcp`, () => "poll"],
];

describe.each(ENDPOINTS)("session streams on %s", (_label, endpoint, toolName) => {
  it("an SDK 1.x client whose call's stream is closed mid-call resumes it and gets the result", async () => {
    const before = await pollingStats();
    const { client, seen, logs } = await sessionClient(endpoint());
    const result = await client.callTool({ name: toolName(), arguments: { tag: "sdk" } });
    expect(textOf(result)).toBe("polled sdk");
    // What the upstream sent while the client was away reached it on the resumed stream.
    expect(logs).toEqual(expect.arrayContaining(["before sdk", "after sdk"]));
    // The client came back with GET + Last-Event-ID (the gateway had closed its POST stream).
    expect(seen.some((request) => request.method === "GET" && request.lastEventId !== null)).toBe(true);
    const after = await pollingStats();
    expect(after.shed).toBeGreaterThan(before.shed);
    expect(after.resumed).toBeGreaterThan(before.resumed);
    await client.close();
  });

  it("primes the POST stream, closes it before the result and replays the rest after Last-Event-ID", async () => {
    const { client, transport } = await sessionClient(endpoint());
    const headers = {
      authorization: `Bearer ${adminToken}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": transport.sessionId as string,
      "mcp-protocol-version": transport.protocolVersion as string,
    };
    const call = {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: toolName(), arguments: { tag: "raw" } },
    };
    const posted = await exports.default.fetch(`${BASE}${endpoint()}`, {
      method: "POST",
      headers,
      body: JSON.stringify(call),
    });
    expect(posted.headers.get("content-type")).toContain("text/event-stream");
    const first = await readEvents(posted);
    // The priming event: an id, empty data and the retry the client should wait.
    expect(first[0]).toMatchObject({ data: "", retry: "1000" });
    expect(first[0]?.id).toBeTruthy();
    const before = messagesOf(first);
    expect(before.some((message) => message.id === 7)).toBe(false);
    const lastEventId = first.findLast((event) => event.id !== undefined)?.id as string;

    // Another identity cannot resume the stream: the session is not theirs.
    const stranger = tokenFor(principal({ tenant: "default", groups: ["mcp-admins"] }));
    const refused = await exports.default.fetch(`${BASE}${endpoint()}`, {
      headers: { ...headers, authorization: `Bearer ${stranger}`, "last-event-id": lastEventId },
    });
    expect(refused.status).toBe(404);
    await refused.body?.cancel();

    const resumed = await exports.default.fetch(`${BASE}${endpoint()}`, {
      headers: { ...headers, accept: "text/event-stream", "last-event-id": lastEventId },
    });
    expect(resumed.status).toBe(200);
    const rest = messagesOf(await readEvents(resumed));
    const answer = rest.find((message) => message.id === 7) as { result?: unknown } | undefined;
    expect(textOf(answer?.result)).toBe("polled raw");
    expect(rest).toContainEqual(
      expect.objectContaining({
        method: "notifications/message",
        params: expect.objectContaining({ data: "after raw" }),
      }),
    );
    // Nothing before the Last-Event-ID is sent twice.
    expect(
      rest.some((message) => (message.params as { data?: string } | undefined)?.data === "before raw"),
    ).toBe(false);
    // Delivered: the stream is forgotten; an id that names nothing kept is a clear 400.
    const again = await exports.default.fetch(`${BASE}${endpoint()}`, {
      headers: { ...headers, accept: "text/event-stream", "last-event-id": lastEventId },
    });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain("Last-Event-ID");
    await client.close();
  });
});
