// A loopback MCP server for the benchmarks (Node-only): serves many corpus
// servers at once, each at `/{group}/{slug}/mcp`, so the gateway registers
// them like any real server and reads their catalogs over MCP. It speaks just
// enough stateless Streamable HTTP (JSON responses, no sessions): initialize,
// notifications, ping and tools/list (paginated).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { CorpusServer } from "./datasets.ts";

const SUPPORTED_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
const PAGE_SIZE = 100;
const MAX_BODY_BYTES = 1024 * 1024;

export interface CorpusMcpServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Serves `servers` under `/{group}/{slug}/mcp`; returns each server's endpoint URL by slug. */
  add(group: string, servers: CorpusServer[]): Map<string, string>;
  close(): Promise<void>;
}

interface JsonRpcRequest {
  jsonrpc?: string;
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    response.writeHead(status);
    response.end();
    return;
  }
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function answer(server: CorpusServer, message: JsonRpcRequest): unknown {
  const id = message.id ?? null;
  switch (message.method) {
    case "initialize": {
      const requested = String(message.params?.protocolVersion ?? "");
      const protocolVersion = SUPPORTED_VERSIONS.includes(requested) ? requested : SUPPORTED_VERSIONS[1];
      return {
        jsonrpc: "2.0",
        id,
        result: {
          protocolVersion,
          capabilities: { tools: { listChanged: false } },
          serverInfo: { name: server.slug, version: "1.0.0" },
        },
      };
    }
    case "ping":
      return { jsonrpc: "2.0", id, result: {} };
    case "tools/list": {
      const start = Number(message.params?.cursor ?? 0) || 0;
      const page = server.tools.slice(start, start + PAGE_SIZE);
      const result: Record<string, unknown> = {
        tools: page.map((tool) => ({
          name: tool.name,
          description: tool.description,
          inputSchema: tool.inputSchema,
        })),
      };
      if (start + PAGE_SIZE < server.tools.length) result.nextCursor = String(start + PAGE_SIZE);
      return { jsonrpc: "2.0", id, result };
    }
    default:
      return { jsonrpc: "2.0", id, error: { code: -32601, message: `Method not found: ${message.method}` } };
  }
}

export async function startCorpusServer(): Promise<CorpusMcpServer> {
  const routes = new Map<string, CorpusServer>();
  const http = createServer((request, response) => {
    const match = /^\/([^/]+)\/([^/]+)\/mcp\/?(?:\?.*)?$/.exec(request.url ?? "");
    const server = match ? routes.get(`${match[1]}/${match[2]}`) : undefined;
    if (!server) return send(response, 404, { error: "no such corpus server" });
    if (request.method !== "POST") return send(response, 405);
    readJson(request)
      .then((body) => {
        const message = body as JsonRpcRequest;
        // Notifications (no id) and responses get 202 Accepted with no body.
        if (message.id === undefined || message.method === undefined) return send(response, 202);
        send(response, 200, answer(server, message));
      })
      .catch(() =>
        send(response, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } }),
      );
  });
  http.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url,
    add(group, servers) {
      const endpoints = new Map<string, string>();
      for (const server of servers) {
        routes.set(`${group}/${server.slug}`, server);
        endpoints.set(server.slug, `${url}/${group}/${server.slug}/mcp`);
      }
      return endpoints;
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
