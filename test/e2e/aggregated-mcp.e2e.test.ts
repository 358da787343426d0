// The aggregated endpoint /mcp end to end: the gateway under `wrangler dev`
// (local D1 and Durable Objects), real MCP servers on loopback, and real
// clients over real HTTP: the SDK v2 client (stateless 2026-07-28), the 1.x
// SDK client (session-based, its session in an McpSession Durable Object),
// and the MCP Inspector's CLI.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInspector, type Stack, startStack } from "./harness.ts";

let stack: Stack;
let token: string;

beforeAll(async () => {
  stack = await startStack();
  token = stack.token;
  await stack.register({
    name: "everything",
    path: "everything",
    endpoints: [{ url: stack.everythingStreamableUrl }],
  });
  await stack.register({
    name: "everything over SSE",
    path: "legacy",
    endpoints: [{ url: stack.everythingSseUrl, transport: "sse" }],
  });
  await stack.register({ name: "demo", path: "demo", endpoints: [{ url: stack.demo.url }] });
});

afterAll(async () => {
  await stack?.stop();
});

function mcpUrl(): URL {
  return new URL(`${stack.gateway.url}/mcp`);
}

function textOf(result: unknown): string {
  return (((result as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((block) => block.text ?? "")
    .join("\n");
}

describe("/mcp through a running gateway", () => {
  it("serves the SDK v2 client (stateless 2026-07-28): tools, calls, progress", async () => {
    const client = new ModernClient(
      { name: "e2e-v2", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await client.connect(
      new ModernTransport(mcpUrl(), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    expect(client.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "everything__echo",
        "legacy__echo",
        "demo__current_time",
        "list_servers",
        "broadcast__echo",
      ]),
    );
    const echo = await client.callTool({ name: "everything__echo", arguments: { message: "e2e v2" } });
    expect(textOf(echo)).toContain("e2e v2");
    const progress: number[] = [];
    await client.callTool(
      { name: "everything__trigger-long-running-operation", arguments: { duration: 1, steps: 2 } },
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(progress).toEqual([1, 2]);
    await client.close();
  });

  it("serves the 1.x SDK client in a session: tools, calls, progress, DELETE", async () => {
    const client = new LegacyClient({ name: "e2e-v1", version: "1.0.0" });
    const transport = new LegacyTransport(mcpUrl(), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    await client.connect(transport);
    expect(transport.sessionId).toMatch(/^[0-9a-f]{64}$/);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["everything__echo", "demo__word_count"]));
    const counted = await client.callTool({ name: "demo__word_count", arguments: { text: "one two three" } });
    expect(counted.structuredContent).toMatchObject({ words: 3 });
    const progress: number[] = [];
    await client.callTool(
      { name: "everything__trigger-long-running-operation", arguments: { duration: 1, steps: 2 } },
      undefined,
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(progress).toEqual([1, 2]);
    const sessionId = transport.sessionId ?? "";
    await transport.terminateSession();
    await client.close();
    const after = await fetch(mcpUrl(), {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(after.status).toBe(404);
  });

  it("serves the MCP Inspector CLI (offline, from node_modules)", async () => {
    const listed = await inspector(["--method", "tools/list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("everything__echo");
    const called = await inspector([
      "--method",
      "tools/call",
      "--tool-name",
      "demo__word_count",
      "--tool-arg",
      "text=inspector says hello",
    ]);
    expect(called.code, called.stderr).toBe(0);
    expect(called.stdout).toContain('"words": 3');
  });
});

/** `mcp-inspector --cli <gateway>/mcp ...` with the bearer token, from the installed package (no network). */
function inspector(args: string[]) {
  return runInspector(mcpUrl().href, token, "http", args);
}
