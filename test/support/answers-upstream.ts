// A small, real MCP server whose tools answer in every shape an upstream may
// use, so tests can check that the gateway's direct upstream call
// (worker/upstream/direct-exchange.ts) answers exactly as its SDK client does.
// Mounted by the probe server in both generations:
//   /answers/modern/mcp   2026-07-28 (server/discover, stateless)
//   /answers/session/mcp  2025-06-18 (initialize, Mcp-Session-Id sessions)
//   GET /answers/stats    { posts, initializes, calls: { [tool]: n } }
// Tools (tools/call by name):
//   echo_request   the JSON-RPC body and headers this server received, as text
//   plain          one text block
//   rich           image + text blocks, structuredContent, isError
//   extra_keys     a text block with a key the schema does not know
//   no_type        a result without resultType (2026 servers built on 2025 machinery)
//   bad_result     content that is not an array
//   rpc_error      a JSON-RPC error with data
//   sse            an SSE answer: a log message, then the result
//   sse_plain      an SSE answer: the result only (SDK 1.x servers' default)
//   sse_primed     an SSE answer: a priming event (id, empty data), a comment, a retry, then the result
//   ping_first     an SSE answer that pings the client first (session only)
//   json_lines     a notification and the result, one per line, in one application/json body
//   http_500       HTTP 500
//   redirect       307 to the same endpoint (the call is answered there)
//   slow           answers after 2 s
// The stats also count `notifications/cancelled` POSTs and DELETEs (ended sessions).
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "./http-body.ts";

/** The tools, by name: each answers in one shape (see above). */
export const ANSWER_SHAPES = [
  "echo_request",
  "plain",
  "rich",
  "extra_keys",
  "no_type",
  "bad_result",
  "rpc_error",
  "sse",
  "sse_plain",
  "sse_primed",
  "ping_first",
  "json_lines",
  "http_500",
  "redirect",
  "slow",
];
const TOOLS = ANSWER_SHAPES.map((name) => ({ name, inputSchema: { type: "object", properties: {} } }));

const SERVER_INFO = { "io.modelcontextprotocol/serverInfo": { name: "answers", version: "1.0.0" } };

type Message = { id?: number | string; method?: string; params?: { name?: string }; result?: unknown };

export function answersUpstream() {
  const stats = { posts: 0, initializes: 0, cancelled: 0, deletes: 0, calls: {} as Record<string, number> };
  const sessions = new Set<string>();

  return async function handle(request: IncomingMessage, response: ServerResponse, path: string) {
    if (path === "/answers/stats") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify(stats));
      return;
    }
    const modern = path === "/answers/modern/mcp";
    if (!modern && path !== "/answers/session/mcp") {
      response.writeHead(404).end();
      return;
    }
    const sessionId = request.headers["mcp-session-id"];
    if (request.method === "DELETE") {
      stats.deletes += 1;
      sessions.delete(String(sessionId));
      response.writeHead(200).end();
      return;
    }
    if (request.method !== "POST") {
      response.writeHead(405).end();
      return;
    }
    stats.posts += 1;
    const text = await readBody(request);
    const message = JSON.parse(text) as Message;
    if (!modern && message.method !== "initialize" && !sessions.has(String(sessionId))) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } }),
      );
      return;
    }
    if (message.method === "notifications/cancelled") stats.cancelled += 1;
    if (message.id === undefined || message.method === undefined) {
      response.writeHead(202).end();
      return;
    }
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json", ...headers });
      response.end(JSON.stringify(body));
    };
    const reply = (result: Record<string, unknown>, headers: Record<string, string> = {}) =>
      json(200, { jsonrpc: "2.0", id: message.id, result: complete(result) }, headers);
    const complete = (result: Record<string, unknown>) =>
      modern ? { ...result, resultType: "complete", _meta: SERVER_INFO } : result;
    switch (message.method) {
      case "server/discover":
        if (!modern)
          return json(200, {
            jsonrpc: "2.0",
            id: message.id,
            error: { code: -32601, message: "Method not found" },
          });
        return reply({ supportedVersions: ["2026-07-28"], capabilities: { tools: {} } });
      case "initialize": {
        if (modern)
          return json(400, {
            jsonrpc: "2.0",
            id: message.id,
            error: { code: -32022, message: "Unsupported protocol version" },
          });
        stats.initializes += 1;
        const session = crypto.randomUUID();
        sessions.add(session);
        return reply(
          {
            protocolVersion: "2025-06-18",
            capabilities: { tools: {} },
            serverInfo: { name: "answers", version: "1.0.0" },
          },
          { "mcp-session-id": session },
        );
      }
      case "tools/list":
        return reply(modern ? { tools: TOOLS, ttlMs: 0, cacheScope: "public" } : { tools: TOOLS });
      case "tools/call":
        break;
      default:
        return json(200, {
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32601, message: "Method not found" },
        });
    }
    const name = message.params?.name ?? "";
    stats.calls[name] = (stats.calls[name] ?? 0) + 1;
    const result = (body: Record<string, unknown>) => ({
      jsonrpc: "2.0",
      id: message.id,
      result: complete(body),
    });
    const event = (payload: unknown) => `event: message\ndata: ${JSON.stringify(payload)}\n\n`;
    switch (name) {
      case "echo_request": {
        const received = { body: JSON.parse(text), headers: request.headers };
        return reply({ content: [{ type: "text", text: JSON.stringify(received) }] });
      }
      case "plain":
        return reply({ content: [{ type: "text", text: "plain answer" }] });
      case "rich":
        return reply({
          content: [
            { type: "image", data: "aGVsbG8=", mimeType: "image/png" },
            { type: "text", text: "rich answer", annotations: { priority: 1 } },
          ],
          structuredContent: { value: 42 },
          isError: true,
        });
      case "extra_keys":
        return reply({ content: [{ type: "text", text: "extra", note: "not in the schema" }] });
      case "no_type":
        return json(200, {
          jsonrpc: "2.0",
          id: message.id,
          result: { content: [{ type: "text", text: "untyped" }] },
        });
      case "bad_result":
        return reply({ content: "not an array" });
      case "rpc_error":
        return json(200, {
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32602, message: "bad arguments", data: { field: "x" } },
        });
      case "sse": {
        response.writeHead(200, { "content-type": "text/event-stream" });
        const log = {
          jsonrpc: "2.0",
          method: "notifications/message",
          params: { level: "info", data: "working" },
        };
        response.end(event(log) + event(result({ content: [{ type: "text", text: "streamed" }] })));
        return;
      }
      case "sse_plain":
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.end(event(result({ content: [{ type: "text", text: "streamed plain" }] })));
        return;
      case "sse_primed": {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write("id: prime-1\ndata:\n\n: keep-alive\n\nretry: 1000\n\n");
        await new Promise((resolve) => setTimeout(resolve, 10));
        response.end(
          `id: prime-2\n${event(result({ content: [{ type: "text", text: "streamed primed" }] }))}`,
        );
        return;
      }
      case "ping_first": {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(event({ jsonrpc: "2.0", id: "ping-1", method: "ping" }));
        await new Promise((resolve) => setTimeout(resolve, 20));
        response.end(event(result({ content: [{ type: "text", text: "after ping" }] })));
        return;
      }
      case "json_lines": {
        const progress = {
          jsonrpc: "2.0",
          method: "notifications/message",
          params: { level: "info", data: "line" },
        };
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          `${JSON.stringify(progress)}\n${JSON.stringify(result({ content: [{ type: "text", text: "lines" }] }))}\n`,
        );
        return;
      }
      case "http_500":
        response.writeHead(500, { "content-type": "text/plain" });
        response.end("upstream broke");
        return;
      case "redirect":
        if (!request.url?.includes("redirected")) {
          response.writeHead(307, { location: `${path}?redirected=1` });
          response.end();
          return;
        }
        return reply({ content: [{ type: "text", text: "redirected answer" }] });
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        if (!response.destroyed) reply({ content: [{ type: "text", text: "slow answer" }] });
        return;
      default:
        return json(200, {
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32602, message: `Unknown tool: ${name}` },
        });
    }
  };
}
