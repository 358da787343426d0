// A small, real MCP server (Streamable HTTP, JSON and SSE answers, sessions)
// that tests control: it echoes the request headers it received, counts the
// calls it served, and misbehaves on request. Node-only (vitest global setup).
//
//   POST /mcp            MCP endpoint (initialize, tools/list, tools/call, ping)
//   GET  /stats          { calls: { [tool]: n }, requests: n, initializes: n } ; POST /stats/reset
//   POST /forget-sessions  forgets every session (as an upstream that expired them; later requests get 404)
//   POST /garbage/mcp    answers 200 with a body that is not JSON-RPC
//   POST /cut/mcp        opens an SSE answer and drops the connection mid-stream
//   POST /cut-mixed-case/mcp  the same, its Content-Type "Text/Event-Stream; charset=utf-8"
//   POST /cut-after-answer/mcp  sends the response event, then drops the connection before the stream's end
//   POST /slow/mcp       never answers
//   POST /redirect/mcp   answers 307 to /mcp
//   POST /cache/mcp      a 2026-07-28 server whose reads carry ttlMs/cacheScope; GET /cache/stats
//   /answers/...         tools answering in every shape, both generations (answers-upstream.ts)
import type { IncomingMessage, ServerResponse } from "node:http";
import { answersUpstream } from "./answers-upstream.ts";
import { cacheHintsUpstream } from "./cache-hints-upstream.ts";
import { readBody } from "./http-body.ts";
import { serveLoopback } from "./loopback-server.ts";

export interface ProbeServer {
  url: string;
  close(): Promise<void>;
}

const TOOLS = [
  {
    name: "echo_headers",
    description: "Returns the HTTP request headers this server received.",
    inputSchema: { type: "object", properties: {} },
  },
  {
    name: "slow_count",
    description: "Counts to `steps`, sending a progress notification for each step.",
    inputSchema: { type: "object", properties: { steps: { type: "integer" } } },
  },
  { name: "admin_reset", description: "A dangerous tool.", inputSchema: { type: "object", properties: {} } },
  {
    name: "public_info",
    description: "Harmless information.",
    inputSchema: { type: "object", properties: {} },
  },
];

export async function startProbeServer(port = 0): Promise<ProbeServer> {
  const calls: Record<string, number> = {};
  let requests = 0;
  let initializes = 0;
  const sessions = new Set<string>();
  const cacheHints = cacheHintsUpstream();
  const answerShapes = answersUpstream();

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname === "/stats") {
      if (request.method === "POST") {
        for (const key of Object.keys(calls)) delete calls[key];
        requests = 0;
        initializes = 0;
      }
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ calls, requests, initializes }));
      return;
    }
    if (url.pathname === "/forget-sessions") {
      sessions.clear();
      response.writeHead(204).end();
      return;
    }
    // A 2026-07-28 server with caching hints (cache-hints-upstream.ts).
    if (url.pathname.startsWith("/cache/")) return cacheHints(request, response, url.pathname);
    if (url.pathname.startsWith("/answers/")) return answerShapes(request, response, url.pathname);
    if (url.pathname === "/slow/mcp") return; // never answers
    if (url.pathname === "/redirect/mcp") {
      await readBody(request);
      response.writeHead(307, { location: "/mcp" });
      response.end();
      return;
    }
    if (url.pathname === "/garbage/mcp") {
      await readBody(request);
      response.writeHead(200, { "content-type": "application/json" });
      response.end("<html>definitely not json");
      return;
    }
    if (url.pathname === "/cut/mcp" || url.pathname === "/cut-mixed-case/mcp") {
      await readBody(request);
      // Media types are case-insensitive and may carry parameters (RFC 9110 §8.3.1).
      const type = url.pathname === "/cut/mcp" ? "text/event-stream" : "Text/Event-Stream; charset=utf-8";
      response.writeHead(200, { "content-type": type });
      response.write(
        ': started\n\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":1,"progress":1}}\n\n',
      );
      setTimeout(() => response.destroy(), 50);
      return;
    }
    if (url.pathname === "/cut-after-answer/mcp") {
      const { id } = JSON.parse(await readBody(request)) as { id?: unknown };
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write(
        `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", id, result: { content: [] } })}\n\n`,
      );
      setTimeout(() => response.destroy(), 50);
      return;
    }
    if (url.pathname !== "/mcp") {
      response.writeHead(404).end();
      return;
    }
    if (request.method === "DELETE") {
      sessions.delete(String(request.headers["mcp-session-id"]));
      response.writeHead(200).end();
      return;
    }
    if (request.method !== "POST") {
      response.writeHead(405).end();
      return;
    }
    requests += 1;
    const parsed: unknown = JSON.parse(await readBody(request));
    if (Array.isArray(parsed)) {
      const answers = parsed
        .filter((item: { id?: unknown }) => item.id !== undefined)
        .map((item: { id: unknown; method?: string; params?: { name?: string } }) => {
          const name = item.params?.name ?? "";
          if (item.method === "tools/call") calls[name] = (calls[name] ?? 0) + 1;
          return {
            jsonrpc: "2.0",
            id: item.id,
            result: { content: [{ type: "text", text: `${name} ran` }] },
          };
        });
      response.writeHead(answers.length ? 200 : 202, { "content-type": "application/json" });
      response.end(answers.length ? JSON.stringify(answers) : undefined);
      return;
    }
    const message = parsed as {
      id?: number | string;
      method?: string;
      params?: { name?: string; arguments?: { steps?: number }; _meta?: { progressToken?: string | number } };
    };
    const sessionHeader = request.headers["mcp-session-id"];
    if (
      message.method !== "initialize" &&
      sessionHeader !== undefined &&
      !sessions.has(String(sessionHeader))
    ) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }),
      );
      return;
    }
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    const reply = (result: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(200, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }));
    };
    switch (message.method) {
      case "initialize": {
        initializes += 1;
        const session = crypto.randomUUID();
        sessions.add(session);
        reply(
          {
            protocolVersion: "2025-06-18",
            capabilities: { tools: { listChanged: true } },
            serverInfo: { name: "probe", version: "1.0.0" },
          },
          { "mcp-session-id": session },
        );
        return;
      }
      case "ping":
        reply({});
        return;
      case "tools/list":
        reply({ tools: TOOLS });
        return;
      case "tools/call": {
        const name = message.params?.name ?? "";
        calls[name] = (calls[name] ?? 0) + 1;
        if (name === "echo_headers") {
          reply({ content: [{ type: "text", text: JSON.stringify(request.headers) }] });
          return;
        }
        if (name === "slow_count") {
          const steps = message.params?.arguments?.steps ?? 3;
          const token = message.params?._meta?.progressToken;
          // Headers a client must never see (a cookie, an internal one) next to ones it may.
          response.writeHead(200, {
            "content-type": "text/event-stream",
            "cache-control": "no-store",
            "mcp-protocol-version": "2025-06-18",
            "set-cookie": "upstream-session=secret",
            "x-upstream-internal": "1",
          });
          for (let step = 1; step <= steps; step++) {
            if (token !== undefined) {
              const progress = {
                jsonrpc: "2.0",
                method: "notifications/progress",
                params: { progressToken: token, progress: step, total: steps },
              };
              response.write(`event: message\ndata: ${JSON.stringify(progress)}\n\n`);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          const result = {
            jsonrpc: "2.0",
            id: message.id,
            result: { content: [{ type: "text", text: `counted to ${steps}` }] },
          };
          response.end(`event: message\ndata: ${JSON.stringify(result)}\n\n`);
          return;
        }
        reply({ content: [{ type: "text", text: `${name} ran` }] });
        return;
      }
      default:
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            jsonrpc: "2.0",
            id: message.id,
            error: { code: -32601, message: "Method not found" },
          }),
        );
    }
  };

  return serveLoopback(handler, port);
}
