// A real session-based (2025) MCP server for the relay tests, built with the
// SDK 1.x McpServer over Streamable HTTP: it asks its client for input
// (elicitation, sampling, roots), also between progress notifications, logs, changes its
// tool list and resources on request, and notices cancellation. What it saw is at GET /stats. Node-only (vitest
// global setup).
//
//   POST|GET|DELETE /mcp   MCP endpoint, one McpServer per session
//   POST /modern           a 2026-07-28-only endpoint (SDK v2 createMcpHandler) whose
//                          `ask` answers input_required (an embedded elicitation)
//   GET  /stats            { answers, levels, cancelled, listeners }
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { SetLevelRequestSchema, SubscribeRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import {
  acceptedContent,
  createMcpHandler,
  inputRequired,
  McpServer as ModernMcpServer,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { readBody } from "./http-body.ts";
import { serveLoopback } from "./loopback-server.ts";

export interface RelayServer {
  url: string;
  close(): Promise<void>;
}

export interface RelayStats {
  /** What the client answered to `ask`, in order. */
  answers: unknown[];
  /** Levels set with logging/setLevel, in order. */
  levels: string[];
  /** `wait` calls that ended because the client cancelled them. */
  cancelled: number;
  /** Standalone (GET) streams opened. */
  listeners: number;
}

export const RELAY_RESOURCE = "relay://counter";

export async function startRelayServer(): Promise<RelayServer> {
  const stats: RelayStats = { answers: [], levels: [], cancelled: 0, listeners: 0 };
  const sessions = new Map<string, { server: McpServer; transport: StreamableHTTPServerTransport }>();
  let extraTools = 0;
  let counter = 0;

  const newServer = () => {
    const server = new McpServer(
      { name: "relay-probe", version: "1.0.0" },
      { capabilities: { logging: {}, resources: { subscribe: true, listChanged: true } } },
    );
    server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
      stats.levels.push(request.params.level);
      return {};
    });
    server.server.setRequestHandler(SubscribeRequestSchema, async () => ({}));
    server.registerTool(
      "ask",
      { description: "Asks the client for a color (elicitation) and reports the answer." },
      async () => {
        const answer = await server.server.elicitInput({
          message: "Which color?",
          requestedSchema: { type: "object", properties: { color: { type: "string" } }, required: ["color"] },
        });
        stats.answers.push(answer);
        return { content: [{ type: "text", text: `answer: ${JSON.stringify(answer)}` }] };
      },
    );
    server.registerTool(
      "progress_ask",
      {
        description:
          "Reports progress 1 and 2 of 4, asks the client for a color (elicitation), reports 3 and 4, answers.",
      },
      async (extra) => {
        const progressToken = extra._meta?.progressToken;
        const progress = async (value: number) => {
          if (progressToken === undefined) return;
          await extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken, progress: value, total: 4, message: `step ${value}` },
          });
        };
        await progress(1);
        await progress(2);
        const answer = await server.server.elicitInput(
          {
            message: "Which color, halfway?",
            requestedSchema: {
              type: "object",
              properties: { color: { type: "string" } },
              required: ["color"],
            },
          },
          { relatedRequestId: extra.requestId },
        );
        stats.answers.push(answer);
        await progress(3);
        await progress(4);
        return { content: [{ type: "text", text: `answer: ${JSON.stringify(answer)}` }] };
      },
    );
    server.registerTool(
      "ask_abandon",
      { description: "Asks the client for a color, gives up on the question after 500 ms, answers." },
      async (extra) => {
        const outcome = await server.server
          .elicitInput(
            {
              message: "Which color, quickly?",
              requestedSchema: { type: "object", properties: { color: { type: "string" } } },
            },
            { relatedRequestId: extra.requestId, signal: AbortSignal.timeout(500) },
          )
          .then(
            (answer) => `answered: ${JSON.stringify(answer)}`,
            () => "abandoned",
          );
        return { content: [{ type: "text", text: outcome }] };
      },
    );
    server.registerTool(
      "sample",
      { description: "Asks the client's model for a completion (sampling) and reports it." },
      async (extra) => {
        const answer = await server.server.createMessage(
          { messages: [{ role: "user", content: { type: "text", text: "Say hi" } }], maxTokens: 16 },
          { relatedRequestId: extra.requestId },
        );
        return { content: [{ type: "text", text: `sampled: ${JSON.stringify(answer)}` }] };
      },
    );
    server.registerTool(
      "roots",
      { description: "Asks the client for its roots and reports them." },
      async (extra) => {
        const answer = await server.server.listRoots(undefined, { relatedRequestId: extra.requestId });
        return { content: [{ type: "text", text: `roots: ${JSON.stringify(answer.roots)}` }] };
      },
    );
    server.registerTool(
      "log",
      { description: "Logs one debug and one error message during the call." },
      async (extra) => {
        // Related to the call, so they travel on its stream.
        for (const level of ["debug", "error"] as const) {
          await extra.sendNotification({
            method: "notifications/message",
            params: { level, data: `relay ${level}` },
          });
        }
        return { content: [{ type: "text", text: "logged" }] };
      },
    );
    server.registerTool("wait", { description: "Waits until cancelled (at most 10 s)." }, async (extra) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 10_000);
        extra.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          stats.cancelled += 1;
          resolve();
        });
      });
      return { content: [{ type: "text", text: "waited" }] };
    });
    server.registerTool(
      "change",
      {
        description: "Adds a tool (every session hears tools/list_changed) and updates the counter resource.",
        inputSchema: { note: z.string().optional() },
      },
      async () => {
        extraTools += 1;
        counter += 1;
        for (const session of sessions.values()) {
          session.server.sendToolListChanged();
          session.server.server.sendResourceUpdated({ uri: RELAY_RESOURCE }).catch(() => {});
        }
        return { content: [{ type: "text", text: `changed ${extraTools}` }] };
      },
    );
    server.registerResource("counter", RELAY_RESOURCE, { mimeType: "text/plain" }, async () => ({
      contents: [{ uri: RELAY_RESOURCE, text: String(counter) }],
    }));
    return server;
  };

  // 2026-07-28 only: `ask` returns input_required until the retry carries the answer.
  const modern = createMcpHandler(
    () => {
      const server = new ModernMcpServer({ name: "relay-probe-2026", version: "1.0.0" });
      server.registerTool(
        "ask",
        { description: "Asks the client for a color (input_required) and reports the answer." },
        async (ctx) => {
          const answer = acceptedContent(ctx.mcpReq.inputResponses, "color");
          if (!answer) {
            return inputRequired({
              inputRequests: {
                color: inputRequired.elicit({
                  message: "Which color (2026)?",
                  requestedSchema: {
                    type: "object",
                    properties: { color: { type: "string" } },
                    required: ["color"],
                  },
                }),
              },
            });
          }
          stats.answers.push({ action: "accept", content: answer });
          return { content: [{ type: "text", text: `answer: ${JSON.stringify(answer)}` }] };
        },
      );
      return server;
    },
    { legacy: "reject" },
  );

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/modern") {
      await serveWeb(modern.fetch, url, request, response);
      return;
    }
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
    if (request.method === "GET" && existing) stats.listeners += 1;
    if (request.method !== "POST") {
      if (!existing) {
        response.writeHead(404).end();
        return;
      }
      await existing.transport.handleRequest(request, response);
      return;
    }
    const body = JSON.parse(await readBody(request)) as unknown;
    if (existing) {
      await existing.transport.handleRequest(request, response, body);
      return;
    }
    if (sessionId !== undefined) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }),
      );
      return;
    }
    const server = newServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { server, transport });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  };

  const served = await serveLoopback(handler);
  return {
    url: served.url,
    // Each session's server closed first: a question to the client still open (an elicitation
    // nobody answered) keeps the SDK's 60 s request timer, which held the test run open at its end.
    close: async () => {
      await Promise.allSettled([...sessions.values()].map(({ server }) => server.close()));
      await served.close();
    },
  };
}

/** Serves a Node request with a fetch-shaped handler (the SDK v2 server's web-standard face). */
async function serveWeb(
  fetchHandler: (request: Request) => Promise<Response>,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers.set(name, value);
  }
  const body = request.method === "POST" ? await readBody(request) : undefined;
  const answer = await fetchHandler(new Request(url, { method: request.method, headers, body }));
  response.writeHead(answer.status, Object.fromEntries(answer.headers));
  if (answer.body) {
    for await (const chunk of answer.body) response.write(chunk);
  }
  response.end();
}
