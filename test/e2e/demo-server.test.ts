// The demo backend, started in-process on a free port and driven by real MCP
// clients: the 1.x SDK client (2025-era, session-based) and the v2 client
// pinned to the stateless 2026-07-28 revision.
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoServer, startDemoServer } from "../../demo/server.ts";
import { freePort } from "../../scripts/processes.ts";

interface TextBlock {
  type: string;
  text?: string;
}

// `callTool` types its result as a union with the pre-2025 `toolResult` shape, hence `unknown`.
function firstText(result: unknown): string {
  const blocks = ((result as { content?: TextBlock[] }).content ?? []) as TextBlock[];
  return blocks.find((block) => block.type === "text")?.text ?? "";
}

let demo: DemoServer;

beforeAll(async () => {
  demo = await startDemoServer({ port: await freePort(), host: "127.0.0.1" });
});

afterAll(async () => {
  await demo?.close();
});

describe("demo server with a 2025-era session client (@modelcontextprotocol/sdk 1.x)", () => {
  let client: Client;
  let transport: StreamableHTTPClientTransport;

  beforeAll(async () => {
    client = new Client({ name: "demo-e2e", version: "1.0.0" });
    transport = new StreamableHTTPClientTransport(new URL(demo.url));
    await client.connect(transport);
  });

  afterAll(async () => {
    await transport?.terminateSession().catch(() => undefined);
    await client?.close();
  });

  it("opens a session", () => {
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerVersion()?.name).toBe("mcp-gateway-demo");
  });

  it("lists the three tools with descriptions and input schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["convert_units", "current_time", "word_count"]);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(20);
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.annotations?.readOnlyHint).toBe(true);
    }
    const convert = tools.find((tool) => tool.name === "convert_units");
    expect(convert?.inputSchema.required).toEqual(expect.arrayContaining(["value", "from", "to"]));
  });

  it("current_time answers in the requested zone", async () => {
    const result = await client.callTool({ name: "current_time", arguments: { timezone: "Asia/Tokyo" } });
    expect(result.isError).toBeFalsy();
    const time = result.structuredContent as {
      iso: string;
      utcOffset: string;
      utc: string;
      timezone: string;
    };
    expect(time.timezone).toBe("Asia/Tokyo");
    expect(time.utcOffset).toBe("+09:00");
    expect(time.iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
    // The local time and the UTC time name the same instant, within a few seconds of now.
    expect(Date.parse(time.iso)).toBe(Date.parse(time.utc));
    expect(Math.abs(Date.parse(time.utc) - Date.now())).toBeLessThan(10_000);
    expect(firstText(result)).toContain("+09:00");
  });

  it("current_time defaults to UTC", async () => {
    const result = await client.callTool({ name: "current_time", arguments: {} });
    expect(result.structuredContent).toMatchObject({ timezone: "UTC", utcOffset: "+00:00" });
  });

  it("current_time reports an unknown zone as a tool error", async () => {
    const result = await client.callTool({
      name: "current_time",
      arguments: { timezone: "Mars/Olympus_Mons" },
    });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain("Unknown time zone 'Mars/Olympus_Mons'");
  });

  it("convert_units converts temperature, length and mass", async () => {
    const celsius = await client.callTool({
      name: "convert_units",
      arguments: { value: 0, from: "C", to: "F" },
    });
    expect(celsius.structuredContent).toMatchObject({ result: 32, quantity: "temperature" });
    expect(firstText(celsius)).toBe("0 C = 32 F");

    const miles = await client.callTool({
      name: "convert_units",
      arguments: { value: 1, from: "mi", to: "km" },
    });
    expect(miles.structuredContent).toMatchObject({ result: 1.609344, quantity: "length" });

    const pounds = await client.callTool({
      name: "convert_units",
      arguments: { value: 1, from: "kg", to: "lb" },
    });
    expect((pounds.structuredContent as { result: number }).result).toBeCloseTo(2.20462262, 6);
  });

  it("convert_units refuses to mix quantities", async () => {
    const result = await client.callTool({
      name: "convert_units",
      arguments: { value: 1, from: "kg", to: "m" },
    });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain("Cannot convert mass");
  });

  it("convert_units rejects an unknown unit through its input schema", async () => {
    const result = await client.callTool({
      name: "convert_units",
      arguments: { value: 1, from: "parsec", to: "m" },
    });
    expect(result.isError).toBe(true);
  });

  it("word_count counts words, characters and lines", async () => {
    const result = await client.callTool({
      name: "word_count",
      arguments: { text: "Hello, world!\nSecond line  here 👋🏽" },
    });
    expect(result.structuredContent).toEqual({
      words: 6,
      characters: 33,
      charactersExcludingWhitespace: 27,
      lines: 2,
    });
  });

  it("serves the about resource and the meeting prompt", async () => {
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain("demo://about");
    const about = await client.readResource({ uri: "demo://about" });
    expect(about.contents[0]).toMatchObject({ uri: "demo://about", mimeType: "text/markdown" });

    const prompt = await client.getPrompt({
      name: "meeting_time",
      arguments: { first: "Europe/Paris", second: "America/Chicago" },
    });
    expect(JSON.stringify(prompt.messages)).toContain("Europe/Paris");
  });

  it("answers an unknown session with 404 so the client re-initializes", async () => {
    const response = await fetch(demo.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": "00000000-0000-0000-0000-000000000000",
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(response.status).toBe(404);
  });
});

describe("demo server with a stateless 2026-07-28 client (@modelcontextprotocol/client v2)", () => {
  it("negotiates the modern revision and calls a tool without a session", async () => {
    const client = new ModernClient(
      { name: "demo-e2e-modern", version: "1.0.0" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const transport = new ModernTransport(new URL(demo.url));
    await client.connect(transport);
    try {
      expect(client.getProtocolEra()).toBe("modern");
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(3);
      const result = await client.callTool({
        name: "convert_units",
        arguments: { value: 100, from: "C", to: "F" },
      });
      expect(result.structuredContent).toMatchObject({ result: 212 });
    } finally {
      await client.close();
    }
  });
});

describe("demo server HTTP surface", () => {
  it("answers /health", async () => {
    const response = await fetch(new URL("/health", demo.url));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "ok" });
  });

  it("refuses a foreign Host header (DNS rebinding protection)", async () => {
    const { request } = await import("node:http");
    const url = new URL(demo.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: "POST",
          headers: { host: "evil.example" },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expect(status).toBe(403);
  });
});
