// The per-server endpoints as real clients use them: the 1.x SDK client
// (session-based), the SDK v2 client, and the MCP Inspector CLI list and call
// tools through /{path}/mcp and /{path}/sse of a gateway under `wrangler dev`
// (/{path}/sse of a Streamable-HTTP-only server through the legacy SSE bridge).

import {
  Client as ClientV2,
  StreamableHTTPClientTransport as StreamableV2,
} from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport as SseTransportV1 } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport as StreamableV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInspector, type Stack, startStack } from "./harness.ts";

let stack: Stack;
const paths = { everything: "everything", legacy: "everything-sse", demo: "demo" };

beforeAll(async () => {
  stack = await startStack();
  await stack.register({
    name: "Everything",
    path: paths.everything,
    endpoints: [{ url: stack.everythingStreamableUrl }],
  });
  await stack.register({
    name: "Everything (SSE)",
    path: paths.legacy,
    endpoints: [{ url: stack.everythingSseUrl, transport: "sse" }],
  });
  await stack.register({ name: "Demo", path: paths.demo, endpoints: [{ url: stack.demo.url }] });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

const auth = () => ({ headers: { authorization: `Bearer ${stack.token}` } });
const url = (path: string, entry: "mcp" | "sse") => new URL(`${stack.gateway.url}/${path}/${entry}`);

/** The SDK 1.x legacy HTTP+SSE transport to `/{path}/sse`, the bearer token on the stream and the POSTs. */
function sseTransport(path: string): SseTransportV1 {
  return new SseTransportV1(url(path, "sse"), {
    requestInit: auth(),
    eventSourceInit: {
      fetch: (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), ...auth().headers },
        }),
    },
  });
}

async function directTools(): Promise<string[]> {
  const client = new ClientV1({ name: "direct", version: "1.0.0" });
  await client.connect(new StreamableV1(new URL(stack.everythingStreamableUrl)));
  const { tools } = await client.listTools();
  await client.close();
  return tools.map((tool) => tool.name);
}

describe("the 1.x SDK client (session-based)", () => {
  it("lists and calls tools through /{path}/mcp, with progress", async () => {
    const client = new ClientV1({ name: "e2e-v1", version: "1.0.0" });
    const transport = new StreamableV1(url(paths.everything, "mcp"), { requestInit: auth() });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^g1\./);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(await directTools());

    const echoed = await client.callTool({ name: "echo", arguments: { message: "through the gateway" } });
    expect(JSON.stringify(echoed.content)).toContain("through the gateway");

    const progress: number[] = [];
    const slow = tools.find((tool) => /long.?running/i.test(tool.name));
    expect(slow, "server-everything offers a long-running tool").toBeDefined();
    await client.callTool({ name: slow?.name ?? "", arguments: { duration: 1, steps: 3 } }, undefined, {
      onprogress: (update) => progress.push(update.progress),
    });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    await transport.terminateSession();
    await client.close();
  });

  it("lists and calls tools through the legacy /{path}/sse endpoint", async () => {
    const client = new ClientV1({ name: "e2e-v1-sse", version: "1.0.0" });
    await client.connect(sseTransport(paths.legacy));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("echo");
    const echoed = await client.callTool({ name: "echo", arguments: { message: "legacy path" } });
    expect(JSON.stringify(echoed.content)).toContain("legacy path");
    await client.close();
  });

  it("reaches a Streamable-HTTP-only server over legacy HTTP+SSE at /{path}/sse (bridged), with progress", async () => {
    const client = new ClientV1({ name: "e2e-v1-sse-bridged", version: "1.0.0" });
    await client.connect(sseTransport(paths.everything));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(await directTools());
    const echoed = await client.callTool({ name: "echo", arguments: { message: "bridged legacy" } });
    expect(JSON.stringify(echoed.content)).toContain("bridged legacy");
    const progress: number[] = [];
    const slow = tools.find((tool) => /long.?running/i.test(tool.name));
    await client.callTool({ name: slow?.name ?? "", arguments: { duration: 1, steps: 3 } }, undefined, {
      onprogress: (update) => progress.push(update.progress),
    });
    // Each notification once and in order. The last may be dropped by the SDK 1.x client itself when
    // it shares a network chunk with the result: EventSource dispatches both at once, and the client
    // runs notification handlers a microtask later but settles the response (and drops its progress
    // handler) at once.
    expect(progress.slice(0, 2)).toEqual([1, 2]);
    expect(progress).toEqual([1, 2, 3].slice(0, progress.length));
    await client.close();
  });
});

describe("the SDK v2 client", () => {
  it("lists and calls the demo backend's tools through /{path}/mcp", async () => {
    const client = new ClientV2({ name: "e2e-v2", version: "1.0.0" });
    await client.connect(new StreamableV2(url(paths.demo, "mcp"), { requestInit: auth() }));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["convert_units", "current_time", "word_count"]);
    const counted = await client.callTool({ name: "word_count", arguments: { text: "one two three" } });
    expect(JSON.stringify(counted)).toContain('"words":3');
    await client.close();
  });
});

describe("the MCP Inspector CLI", () => {
  it("lists and calls tools through /{path}/mcp", async () => {
    const listed = await runInspector(url(paths.everything, "mcp").href, stack.token, "http", [
      "--method",
      "tools/list",
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('"echo"');
    const called = await runInspector(url(paths.everything, "mcp").href, stack.token, "http", [
      "--method",
      "tools/call",
      "--tool-name",
      "echo",
      "--tool-arg",
      "message=inspector via proxy",
    ]);
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout).toContain("inspector via proxy");
  });

  it("lists tools through /{path}/sse", async () => {
    const listed = await runInspector(url(paths.legacy, "sse").href, stack.token, "sse", [
      "--method",
      "tools/list",
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('"echo"');
  });
});

describe("a client hanging up its GET stream on /{path}/mcp (real HTTP, wrangler dev)", () => {
  const headers = (extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${stack.token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...extra,
  });

  it("releases the upstream stream at once: reopening gets a stream, not 409", async () => {
    const endpoint = url(paths.everything, "mcp");
    const opened = await fetch(endpoint, {
      method: "POST",
      headers: headers(),
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "e2e", version: "1" },
        },
      }),
    });
    expect(opened.status).toBe(200);
    await opened.arrayBuffer();
    const session = opened.headers.get("mcp-session-id") ?? "";
    const inSession = headers({ "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
    const initialized = await fetch(endpoint, {
      method: "POST",
      headers: inSession,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    expect(initialized.status).toBe(202);
    const streamHeaders = { ...inSession, accept: "text/event-stream" };

    const hangUp = new AbortController();
    const first = await fetch(endpoint, { headers: streamHeaders, signal: hangUp.signal });
    expect(first.status).toBe(200);
    const busy = await fetch(endpoint, { headers: streamHeaders });
    // The upstream serves one standalone stream per session.
    expect(busy.status).toBe(409);
    await busy.arrayBuffer();
    hangUp.abort();
    // The gateway notices the hang-up at its next keep-alive comment (every second); a few attempts cover it.
    let status = 0;
    for (let attempt = 0; attempt < 10 && status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const again = await fetch(endpoint, { headers: streamHeaders });
      status = again.status;
      await (status === 200 ? again.body?.cancel() : again.arrayBuffer());
    }
    expect(status).toBe(200);
  });
});
