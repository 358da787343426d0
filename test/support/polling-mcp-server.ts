// A real session-based (2025-11-25) MCP server that sheds long calls (SEP-1699
// polling), built with the SDK 1.x McpServer over Streamable HTTP with an
// event store: its `poll` tool logs, closes the call's SSE stream, logs
// again while the client is away, and answers once the client has resumed
// with GET + Last-Event-ID. What it saw is at GET /stats. Node-only (vitest
// global setup).
//
//   POST|GET|DELETE /mcp   MCP endpoint, one McpServer per session
//   GET  /stats            { shed, resumed }
import type { IncomingMessage, ServerResponse } from "node:http";
import { InMemoryEventStore } from "@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";
import { readBody } from "./http-body.ts";
import { serveLoopback } from "./loopback-server.ts";
import { openSession } from "./session-transport.ts";

export interface PollingStats {
  /** Calls whose stream the server closed before answering. */
  shed: number;
  /** GETs with Last-Event-ID (the gateway resuming a shed call). */
  resumed: number;
}

/** The `retry` the server asks for: long, so a gateway that waits for it instead of its client's resume is slow, not wrong. */
export const POLLING_RETRY_MS = 3_000;

export async function startPollingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const stats: PollingStats = { shed: 0, resumed: 0 };
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const newServer = () => {
    const server = new McpServer(
      { name: "polling-probe", version: "1.0.0" },
      { capabilities: { logging: {} } },
    );
    server.registerTool(
      "poll",
      {
        description: "Logs, closes the call's stream (polling), logs again, then answers with `tag`.",
        inputSchema: { tag: z.string() },
      },
      async ({ tag }, extra) => {
        const log = (data: string) =>
          extra.sendNotification({ method: "notifications/message", params: { level: "info", data } });
        const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        const resumedBefore = stats.resumed;
        await log(`before ${tag}`);
        if (extra.closeSSEStream) {
          stats.shed += 1;
          extra.closeSSEStream();
        }
        await sleep(100);
        await log(`after ${tag}`);
        // The answer comes a while after the caller is back (its GET with Last-Event-ID, at most 5 s),
        // so it never races the log it follows on the caller's side.
        for (let wait = 0; wait < 100 && stats.resumed === resumedBefore; wait++) await sleep(50);
        await sleep(200);
        return { content: [{ type: "text", text: `polled ${tag}` }] };
      },
    );
    return server;
  };

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/stats") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(stats));
      return;
    }
    if (url.pathname !== "/mcp") {
      response.writeHead(404).end();
      return;
    }
    const sessionId = request.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (request.method !== "POST") {
      if (!existing) {
        response.writeHead(404).end();
        return;
      }
      if (request.method === "GET" && request.headers["last-event-id"]) stats.resumed += 1;
      await existing.handleRequest(request, response);
      return;
    }
    const body = JSON.parse(await readBody(request)) as unknown;
    if (existing) {
      await existing.handleRequest(request, response, body);
      return;
    }
    if (sessionId !== undefined) {
      response.writeHead(404).end();
      return;
    }
    await openSession(newServer(), sessions, request, response, body, {
      eventStore: new InMemoryEventStore(),
      retryInterval: POLLING_RETRY_MS,
    });
  };

  return serveLoopback(handler);
}
