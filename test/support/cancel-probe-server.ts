// A real MCP server that records how its callers cancel (Node-only): the
// cancellation tests check that a client's cancellation reaches the upstream
// through the gateway.
//
//   POST|GET|DELETE /mcp   session-based (2025, SDK 1.x McpServer over Streamable HTTP)
//   POST /modern           2026-07-28 only (SDK v2 createMcpHandler, legacy rejected)
//   GET  /stats            CancelStats
//
// Both serve `slow` (waits until cancelled, at most 20 s) and `echo` (answers
// after `delayMs`, default at once). On /mcp it records the JSON-RPC id of every `slow` call and the
// `requestId` of every `notifications/cancelled` it receives (both with the
// session id, as request ids repeat across sessions); on /modern,
// where the spec's cancellation is closing the request's stream, it records
// every `slow` POST whose connection closed before it was answered.
import type { IncomingMessage, ServerResponse } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createMcpHandler, McpServer as ModernMcpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { readBody } from "./http-body.ts";
import { serveLoopback } from "./loopback-server.ts";
import { openSession } from "./session-transport.ts";

export interface CancelStats {
  /** /mcp: the `slow` calls received, as `{session id} {request id}`, in order. */
  slowCalls: string[];
  /** /mcp: every notifications/cancelled received, as `{session id} {requestId}`, in order. */
  cancelled: string[];
  /** /modern: `slow` calls received. */
  modernSlowCalls: number;
  /** /modern: `slow` calls whose HTTP request was closed before the answer. */
  modernAborted: number;
}

export interface CancelProbeServer {
  url: string;
  stats(): CancelStats;
  close(): Promise<void>;
}

const SLOW_LIMIT_MS = 20_000;

const pause = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `signal` aborts or after the limit. */
function waitUntilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, SLOW_LIMIT_MS);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startCancelProbeServer(): Promise<CancelProbeServer> {
  const stats: CancelStats = { slowCalls: [], cancelled: [], modernSlowCalls: 0, modernAborted: 0 };
  const sessions = new Map<string, StreamableHTTPServerTransport>();

  const sessionServer = () => {
    const server = new McpServer({ name: "cancel-probe", version: "1.0.0" });
    server.registerTool("slow", { description: "Waits until cancelled." }, async (extra) => {
      await waitUntilAborted(extra.signal);
      return { content: [{ type: "text", text: "slow done" }] };
    });
    server.registerTool(
      "echo",
      {
        description: "Echoes, after delayMs.",
        inputSchema: { text: z.string(), delayMs: z.number().optional() },
      },
      async ({ text, delayMs }) => {
        await pause(delayMs);
        return { content: [{ type: "text", text }] };
      },
    );
    return server;
  };

  const modern = createMcpHandler(
    () => {
      const server = new ModernMcpServer({ name: "cancel-probe-2026", version: "1.0.0" });
      server.registerTool("slow", { description: "Waits until cancelled." }, async (ctx) => {
        await waitUntilAborted(ctx.mcpReq.signal);
        return { content: [{ type: "text", text: "slow done" }] };
      });
      server.registerTool(
        "echo",
        {
          description: "Echoes, after delayMs.",
          inputSchema: z.object({ text: z.string(), delayMs: z.number().optional() }),
        },
        async ({ text, delayMs }) => {
          await pause(delayMs);
          return { content: [{ type: "text", text }] };
        },
      );
      return server;
    },
    { legacy: "reject" },
  );

  const record = (session: string, message: unknown) => {
    for (const one of Array.isArray(message) ? message : [message]) {
      const { id, method, params } = (one ?? {}) as {
        id?: string | number;
        method?: string;
        params?: { name?: string; requestId?: string | number };
      };
      if (method === "tools/call" && params?.name === "slow" && id !== undefined)
        stats.slowCalls.push(`${session} ${id}`);
      if (method === "notifications/cancelled" && params?.requestId !== undefined) {
        stats.cancelled.push(`${session} ${params.requestId}`);
      }
    }
  };

  const serveSession = async (request: IncomingMessage, response: ServerResponse) => {
    const sessionId = request.headers["mcp-session-id"];
    const existing = typeof sessionId === "string" ? sessions.get(sessionId) : undefined;
    if (request.method !== "POST") {
      if (!existing) return void response.writeHead(404).end();
      return existing.handleRequest(request, response);
    }
    const body = JSON.parse(await readBody(request)) as unknown;
    record(String(sessionId), body);
    if (existing) return existing.handleRequest(request, response, body);
    if (sessionId !== undefined) return void response.writeHead(404).end();
    await openSession(sessionServer(), sessions, request, response, body);
  };

  const serveModern = async (url: URL, request: IncomingMessage, response: ServerResponse) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const body = request.method === "POST" ? await readBody(request) : undefined;
    const slow = body !== undefined && /"name"\s*:\s*"slow"/.test(body);
    if (slow) stats.modernSlowCalls += 1;
    // The caller hanging up is the cancellation (2026-07-28): it aborts the request the handler sees.
    const hangUp = new AbortController();
    response.on("close", () => {
      if (response.writableFinished) return;
      if (slow) stats.modernAborted += 1;
      hangUp.abort();
    });
    const answer = await modern.fetch(
      new Request(url, { method: request.method, headers, body, signal: hangUp.signal }),
    );
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    if (answer.body) {
      try {
        for await (const chunk of answer.body) response.write(chunk);
      } catch {
        // The caller hung up; the handler was aborted with it.
      }
    }
    response.end();
  };

  const server = await serveLoopback(async (request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/stats") {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
    } else if (url.pathname === "/modern") await serveModern(url, request, response);
    else if (url.pathname === "/mcp") await serveSession(request, response);
    else response.writeHead(404).end();
  });
  return { ...server, stats: () => structuredClone(stats) };
}
