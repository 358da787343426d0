// Observability end to end: the gateway under `wrangler dev` with a loopback
// OTLP/HTTP receiver and the probe MCP server (which echoes the headers it
// receives). Checks that /metrics passes `promtool check metrics` and counts
// exactly, that spans arrive as one trace per request with parent links, and
// that the upstream sees the same trace id in traceparent, on the per-server
// endpoint and on /mcp for a session-based SDK 1.x client (whose requests are
// served inside the McpSession Durable Object).
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devLogin, newDevSecrets } from "../../scripts/dev-secrets.ts";
import { type LocalGateway, startLocalGateway } from "../../scripts/local-gateway.ts";
import { freePort } from "../../scripts/processes.ts";
import { type ProbeServer, startProbeServer } from "../support/probe-mcp-server.ts";
import { PUBLIC_URL } from "./harness.ts";

const SCRAPE_TOKEN = "e2e-scrape-token-0123456789abcdefgh";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

let gateway: LocalGateway;
let probe: ProbeServer;
let receiver: Server;
let persistDir: string;
let token: string;
const received: OtlpSpan[] = [];
const path = `obs-${Date.now().toString(36)}`;

async function startReceiver(): Promise<string> {
  const port = await freePort();
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      if (request.url === "/v1/traces" && request.headers["content-type"] === "application/json") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const resource of body.resourceSpans) {
          for (const scope of resource.scopeSpans) received.push(...scope.spans);
        }
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end("{}");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(port, "127.0.0.1", resolve));
  return `http://127.0.0.1:${port}/v1/traces`;
}

beforeAll(async () => {
  const endpoint = await startReceiver();
  probe = await startProbeServer(await freePort());
  persistDir = await mkdtemp(join(tmpdir(), "mcp-gateway-obs-"));
  const secrets = { ...newDevSecrets(), METRICS_SCRAPE_TOKEN: SCRAPE_TOKEN };
  gateway = await startLocalGateway({
    port: await freePort(),
    persistDir,
    secrets,
    vars: { PUBLIC_URL, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_RATIO: "1" },
  });
  token = await devLogin(gateway.url, secrets.DEV_ADMIN_USERNAME, secrets.DEV_ADMIN_PASSWORD);
  const response = await fetch(`${gateway.url}/api/v1/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: path, path, endpoints: [{ url: `${probe.url}/mcp` }] }),
  });
  expect(response.status, await response.text()).toBe(201);
});

afterAll(async () => {
  await Promise.allSettled([gateway?.stop(), probe?.close()]);
  await new Promise((resolve) => receiver?.close(resolve));
  if (persistDir) await rm(persistDir, { recursive: true, force: true });
});

async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway.url}/${path}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

async function openSession(headers: Record<string, string> = {}): Promise<string> {
  const response = await post(
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "obs", version: "1" } },
    },
    headers,
  );
  expect(response.status).toBe(200);
  await response.text();
  return response.headers.get("mcp-session-id") ?? "";
}

async function callTool(
  session: string,
  name: string,
  id: number,
  headers: Record<string, string> = {},
  meta?: Record<string, string>,
) {
  const response = await post(
    {
      jsonrpc: "2.0",
      id,
      method: "tools/call",
      params: { name, arguments: {}, ...(meta && { _meta: meta }) },
    },
    { "mcp-session-id": session, ...headers },
  );
  expect(response.status).toBe(200);
  const text = await response.text();
  const json = text.startsWith("{")
    ? text
    : (text.split("\n").find((line) => line.startsWith("data: ")) ?? "").slice(6);
  return JSON.parse(json) as { result: { content: { text: string }[] } };
}

async function scrape(): Promise<string> {
  const response = await fetch(`${gateway.url}/metrics`, {
    headers: { authorization: `Bearer ${SCRAPE_TOKEN}` },
  });
  expect(response.status).toBe(200);
  return response.text();
}

function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile("promtool", ["check", "metrics"], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin?.end(text);
  });
}

function sampleValue(text: string, prefix: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(prefix));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let attempt = 0; attempt < 100 && !done(value); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

describe("observability under wrangler dev", () => {
  it("serves metrics that promtool accepts, counting N calls over several sessions exactly", async () => {
    const N = 9;
    const sessions = [await openSession(), await openSession(), await openSession()];
    for (let index = 0; index < N; index++)
      await callTool(sessions[index % 3] ?? "", "public_info", 10 + index);
    const prefix = `mcp_tool_executions_total{tenant="default",server="${path}",tool="public_info",outcome="ok"}`;
    const text = await until(scrape, (body) => sampleValue(body, prefix) >= N);
    expect(sampleValue(text, prefix)).toBe(N);
    const countPrefix = `mcp_tool_execution_duration_seconds_count{tenant="default",server="${path}",tool="public_info"}`;
    expect(sampleValue(text, countPrefix)).toBe(N);
    const infPrefix = `mcp_tool_execution_duration_seconds_bucket{tenant="default",server="${path}",tool="public_info",le="+Inf"}`;
    expect(sampleValue(text, infPrefix)).toBe(N);
    const check = await promtoolCheck(text);
    expect(check.output).toBe("");
    expect(check.code).toBe(0);
  });

  it("exports one trace per request with parent links, and the upstream sees the same trace id", async () => {
    const session = await openSession();
    const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const clientSpan = "00f067aa0ba902b7";
    const reply = await callTool(session, "echo_headers", 50, {
      traceparent: `00-${clientTrace}-${clientSpan}-01`,
    });
    const seen = JSON.parse(reply.result.content[0]?.text ?? "{}") as Record<string, string>;
    const upstream = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.traceparent ?? "");
    expect(upstream?.[1]).toBe(clientTrace);
    expect(upstream?.[2]).not.toBe(clientSpan);

    // A second request without a traceparent starts its own trace.
    await callTool(session, "public_info", 51);

    const spans = await until(
      async () => received.filter((span) => span.traceId === clientTrace),
      (list) => list.some((span) => span.name === "upstream call"),
    );
    const ingress = spans.filter((span) => span.kind === 2);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.parentSpanId).toBe(clientSpan);
    const names = spans.map((span) => span.name);
    expect(names).toEqual(expect.arrayContaining(["authenticate", "policy", "upstream call"]));
    for (const span of spans.filter((candidate) => candidate.kind !== 2)) {
      expect(span.parentSpanId).toBe(ingress[0]?.spanId);
    }
    // The upstream was told the gateway's upstream-call span as its parent.
    const call = spans.find((span) => span.name === "upstream call");
    expect(call?.spanId).toBe(upstream?.[2]);

    // 2026-07-28 style: the trace context in `_meta` (no header) is joined the same way.
    const metaTrace = "0af7651916cd43dd8448eb211c80319c";
    const metaReply = await callTool(
      session,
      "echo_headers",
      52,
      {},
      {
        traceparent: `00-${metaTrace}-b7ad6b7169203331-01`,
      },
    );
    const metaSeen = JSON.parse(metaReply.result.content[0]?.text ?? "{}") as Record<string, string>;
    expect(metaSeen.traceparent?.split("-")[1]).toBe(metaTrace);
    const metaSpans = await until(
      async () => received.filter((span) => span.traceId === metaTrace),
      (list) => list.some((span) => span.kind === 2),
    );
    expect(metaSpans.find((span) => span.kind === 2)?.parentSpanId).toBe("b7ad6b7169203331");
    expect(metaSpans.map((span) => span.name)).toEqual(
      expect.arrayContaining(["authenticate", "upstream call"]),
    );

    // Every trace has exactly one ingress span: one trace per request.
    const traces = new Map<string, number>();
    for (const span of received.filter((candidate) => candidate.kind === 2)) {
      traces.set(span.traceId, (traces.get(span.traceId) ?? 0) + 1);
    }
    expect(traces.size).toBeGreaterThan(2);
    expect([...traces.values()].every((count) => count === 1)).toBe(true);
  });
  it("continues the trace inside the McpSession object, or in the Worker for a later plain call, for a session-based SDK 1.x client on /mcp", async () => {
    const clientTrace = "5a1e7b0c3d2f4e6a8b9c0d1e2f3a4b5c";
    const clientSpan = "1b2c3d4e5f6a7b8c";
    // The 1.x client's own fetch: a tools/call carries the caller's traceparent while one is set.
    let callerTraceparent: string | null = `00-${clientTrace}-${clientSpan}-01`;
    const transport = new LegacyTransport(new URL(`${gateway.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: (url, init) => {
        const headers = new Headers(init?.headers);
        if (callerTraceparent && typeof init?.body === "string" && init.body.includes('"tools/call"'))
          headers.set("traceparent", callerTraceparent);
        return fetch(url, { ...init, headers });
      },
    });
    const client = new LegacyClient({ name: "obs-legacy", version: "1" });
    await client.connect(transport);
    try {
      expect(transport.sessionId).toMatch(/^[0-9a-f]{64}$/);
      const reply = (await client.callTool({ name: `${path}__echo_headers`, arguments: {} })) as {
        content: { text: string }[];
      };
      const seen = JSON.parse(reply.content[0]?.text ?? "{}") as Record<string, string>;
      const upstream = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.traceparent ?? "");
      expect(upstream?.[1]).toBe(clientTrace);

      const spans = await until(
        async () => received.filter((span) => span.traceId === clientTrace),
        (list) =>
          list.some((span) => span.name === "upstream call") &&
          list.some((span) => span.name === "POST /mcp"),
      );
      // One request, one trace: the Worker's ingress span is its only server span.
      const ingress = spans.filter((span) => span.kind === 2);
      expect(ingress.map((span) => span.name)).toEqual(["POST /mcp"]);
      expect(ingress[0]?.parentSpanId).toBe(clientSpan);
      const byName = (name: string) => spans.filter((span) => span.name === name);
      expect(byName("authenticate")[0]?.parentSpanId).toBe(ingress[0]?.spanId);
      // The object's span continues the Worker's ingress span; policy and upstream call are its children.
      const session = byName("McpSession.handle");
      expect(session).toHaveLength(1);
      expect(session[0]?.parentSpanId).toBe(ingress[0]?.spanId);
      expect(byName("policy")[0]?.parentSpanId).toBe(session[0]?.spanId);
      // The object's upstream calls (opening the upstream session, then tools/call) are its children.
      const calls = byName("upstream call");
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) expect(call.parentSpanId).toBe(session[0]?.spanId);
      // The upstream was told one of the object's upstream-call spans as its parent.
      expect(calls.map((call) => call.spanId)).toContain(upstream?.[2]);
      // Every span's parent is a span of the same trace, except the ingress span's (the client's).
      const ids = new Set(spans.map((span) => span.spanId));
      for (const span of spans.filter((candidate) => candidate.kind !== 2))
        expect(ids.has(span.parentSpanId ?? "")).toBe(true);

      // Without a caller's traceparent the Worker starts the trace and the object still joins it.
      callerTraceparent = null;
      const untraced = (await client.callTool({ name: `${path}__echo_headers`, arguments: {} })) as {
        content: { text: string }[];
      };
      const untracedSeen = JSON.parse(untraced.content[0]?.text ?? "{}") as Record<string, string>;
      const [, ownTrace = "", ownParent = ""] = untracedSeen.traceparent?.split("-") ?? [];
      expect(ownTrace).toMatch(/^[0-9a-f]{32}$/);
      expect(ownTrace).not.toBe(clientTrace);
      const own = await until(
        async () => received.filter((span) => span.traceId === ownTrace),
        (list) => list.some((span) => span.kind === 2) && list.some((span) => span.name === "upstream call"),
      );
      const ownIngress = own.filter((span) => span.kind === 2);
      expect(ownIngress).toHaveLength(1);
      expect(ownIngress[0]?.parentSpanId).toBeUndefined();
      // A later plain call of the session is served in the Worker once the object has vouched
      // for the session to this isolate (aggregated/session-direct-call.ts; the ledger learns it
      // in waitUntil after the first call, so this call may still reach the object). Either way
      // the trace continues: under the object's span when it served the call, else under the
      // Worker's ingress span.
      const ownSession = own.find((span) => span.name === "McpSession.handle");
      if (ownSession) expect(ownSession.parentSpanId).toBe(ownIngress[0]?.spanId);
      const ownCalls = own.filter((span) => span.name === "upstream call");
      expect(ownCalls.length).toBeGreaterThan(0);
      expect(ownCalls.map((call) => call.spanId)).toContain(ownParent);
      const servedBy = ownSession?.spanId ?? ownIngress[0]?.spanId;
      for (const call of ownCalls) expect(call.parentSpanId).toBe(servedBy);
    } finally {
      await client.close();
    }
  });
});
