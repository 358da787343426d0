// A fleet of real MCP servers (replicas) on loopback whose faults the tests
// command over HTTP, for the resilience tests. Node-only (vitest global setup).
// Each replica is its own listening socket, so "kill" really closes the port
// (new connections are refused) and "restart" opens it again.
//
//   POST {control}/replicas                   -> { id, url, port }   a new replica (url: its MCP endpoint)
//   POST {control}/replicas/{id}/fault        { mode, delayMs?, status? }
//        mode: "ok" | "kill" | "restart" | "slow" (each answer delayed by delayMs)
//              | "error" (HTTP status, default 503) | "reset" (read the request, then reset the connection)
//              | "reset-once" (as "reset" for the next request only, then "ok")
//              | "reset-mid-stream" (tools/call answers start an SSE stream, then the connection is cut)
//              | "hang" (never answer)
//   POST {control}/replicas/{id}/tools        { tools: [...] }        replaces the tool list (catalog changes)
//   POST {control}/replicas/{id}/resources    { resources: [{ uri, name, text }] }  text resources; a replica
//        with any declares the `resources` capability from its next initialize (set them before registering)
//   GET  {control}/replicas/{id}/stats        -> { requests, calls, byMethod, sessions }
//   POST {control}/replicas/{id}/stats/reset
//
// MCP: POST /mcp with initialize (hands out Mcp-Session-Id), ping, tools/list,
// tools/call (`whoami` answers the replica id; `sleep` waits arguments.ms),
// resources/list, resources/templates/list and resources/read (when it has resources);
// notifications get 202. A request naming an unknown session gets 404.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { readBody } from "./http-body.ts";

export type FaultMode =
  | "ok"
  | "kill"
  | "restart"
  | "slow"
  | "error"
  | "reset"
  | "reset-once"
  | "reset-mid-stream"
  | "hang";

interface Replica {
  id: string;
  port: number;
  server: Server;
  sockets: Set<Socket>;
  listening: boolean;
  mode: FaultMode;
  delayMs: number;
  status: number;
  tools: Record<string, unknown>[];
  resources: FleetResource[];
  stats: { requests: number; calls: number; byMethod: Record<string, number> };
  sessions: Set<string>;
}

export interface FleetResource {
  uri: string;
  name: string;
  text: string;
}

export interface FaultFleet {
  /** Base URL of the control API. */
  url: string;
  close(): Promise<void>;
}

const DEFAULT_TOOLS = [
  {
    name: "whoami",
    description: "Answers which replica served the call.",
    inputSchema: { type: "object", properties: {} },
  },
  {
    name: "sleep",
    description: "Waits `ms` milliseconds, then answers.",
    inputSchema: { type: "object", properties: { ms: { type: "integer" } } },
  },
];

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

async function serveMcp(replica: Replica, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  if (url.pathname !== "/mcp") {
    response.writeHead(404).end();
    return;
  }
  if (replica.mode === "hang") return;
  if (request.method === "DELETE") {
    replica.sessions.delete(String(request.headers["mcp-session-id"]));
    response.writeHead(200).end();
    return;
  }
  if (request.method !== "POST") {
    response.writeHead(405, { allow: "POST, DELETE" }).end();
    return;
  }
  const text = await readBody(request);
  replica.stats.requests += 1;
  if (replica.mode === "reset" || replica.mode === "reset-once") {
    if (replica.mode === "reset-once") replica.mode = "ok";
    request.socket.resetAndDestroy();
    return;
  }
  if (replica.mode === "slow") await wait(replica.delayMs);
  if (replica.mode === "error") {
    response.writeHead(replica.status, { "content-type": "text/plain" });
    response.end(`replica ${replica.id} failing on purpose`);
    return;
  }
  let message: {
    id?: string | number;
    method?: string;
    params?: { name?: string; uri?: string; arguments?: { ms?: number } };
  };
  try {
    message = JSON.parse(text);
  } catch {
    json(response, 400, { jsonrpc: "2.0", id: null, error: { code: -32700, message: "Parse error" } });
    return;
  }
  const method = message.method ?? "";
  replica.stats.byMethod[method] = (replica.stats.byMethod[method] ?? 0) + 1;
  const session = request.headers["mcp-session-id"];
  if (method !== "initialize" && session !== undefined && !replica.sessions.has(String(session))) {
    json(response, 404, { jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } });
    return;
  }
  if (message.id === undefined) {
    response.writeHead(202).end();
    return;
  }
  const reply = (result: unknown, headers: Record<string, string> = {}) =>
    json(response, 200, { jsonrpc: "2.0", id: message.id, result }, headers);
  switch (method) {
    case "initialize": {
      const id = crypto.randomUUID();
      replica.sessions.add(id);
      reply(
        {
          protocolVersion: "2025-06-18",
          capabilities: {
            tools: { listChanged: true },
            ...(replica.resources.length > 0 && { resources: {} }),
          },
          serverInfo: { name: `replica-${replica.id}`, version: "1.0.0" },
        },
        { "mcp-session-id": id },
      );
      return;
    }
    case "ping":
      reply({});
      return;
    case "tools/list":
      reply({ tools: replica.tools });
      return;
    case "resources/list":
      reply({ resources: replica.resources.map(({ uri, name }) => ({ uri, name, mimeType: "text/plain" })) });
      return;
    case "resources/templates/list":
      reply({ resourceTemplates: [] });
      return;
    case "resources/read": {
      const uri = message.params?.uri;
      const found = replica.resources.find((resource) => resource.uri === uri);
      if (!found) {
        json(response, 200, {
          jsonrpc: "2.0",
          id: message.id,
          error: { code: -32002, message: "Resource not found" },
        });
        return;
      }
      reply({ contents: [{ uri: found.uri, mimeType: "text/plain", text: found.text }] });
      return;
    }
    case "tools/call": {
      replica.stats.calls += 1;
      if (replica.mode === "reset-mid-stream") {
        response.writeHead(200, { "content-type": "text/event-stream" });
        response.write(": started\n\n");
        setTimeout(() => request.socket.destroy(), 20);
        return;
      }
      if (message.params?.name === "sleep") await wait(message.params.arguments?.ms ?? 100);
      reply({ content: [{ type: "text", text: replica.id }] });
      return;
    }
    default:
      json(response, 200, {
        jsonrpc: "2.0",
        id: message.id,
        error: { code: -32601, message: "Method not found" },
      });
  }
}

function listen(replica: Replica): Promise<void> {
  return new Promise((resolve, reject) => {
    replica.server.once("error", reject);
    replica.server.listen(replica.port, "127.0.0.1", () => {
      replica.server.off("error", reject);
      replica.listening = true;
      resolve();
    });
  });
}

function kill(replica: Replica): Promise<void> {
  if (!replica.listening) return Promise.resolve();
  replica.listening = false;
  // A killed process forgets its sessions: after a restart, old session ids get 404.
  replica.sessions.clear();
  for (const socket of replica.sockets) socket.destroy();
  return new Promise((resolve) => replica.server.close(() => resolve()));
}

async function createReplica(id: string): Promise<Replica> {
  const replica: Replica = {
    id,
    port: 0,
    server: createServer(),
    sockets: new Set(),
    listening: false,
    mode: "ok",
    delayMs: 0,
    status: 503,
    tools: structuredClone(DEFAULT_TOOLS),
    resources: [],
    stats: { requests: 0, calls: 0, byMethod: {} },
    sessions: new Set(),
  };
  replica.server.keepAliveTimeout = 1_000;
  replica.server.on("connection", (socket: Socket) => {
    replica.sockets.add(socket);
    socket.on("close", () => replica.sockets.delete(socket));
  });
  replica.server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    serveMcp(replica, request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  await listen(replica);
  const address = replica.server.address();
  replica.port = typeof address === "object" && address ? address.port : 0;
  return replica;
}

export async function startFaultFleet(): Promise<FaultFleet> {
  const replicas = new Map<string, Replica>();
  let next = 0;

  const control = createServer((request, response) => {
    (async () => {
      const url = new URL(request.url ?? "/", "http://localhost");
      const parts = url.pathname.split("/").filter(Boolean);
      if (request.method === "POST" && url.pathname === "/replicas") {
        const replica = await createReplica(`r${next++}`);
        replicas.set(replica.id, replica);
        json(response, 201, {
          id: replica.id,
          port: replica.port,
          url: `http://127.0.0.1:${replica.port}/mcp`,
        });
        return;
      }
      const replica = parts[0] === "replicas" && parts[1] ? replicas.get(parts[1]) : undefined;
      if (!replica) {
        json(response, 404, { error: "no such replica" });
        return;
      }
      const action = parts.slice(2).join("/");
      if (request.method === "GET" && action === "stats") {
        json(response, 200, {
          ...replica.stats,
          sessions: replica.sessions.size,
          listening: replica.listening,
        });
        return;
      }
      if (request.method === "POST" && action === "stats/reset") {
        replica.stats = { requests: 0, calls: 0, byMethod: {} };
        json(response, 200, {});
        return;
      }
      if (request.method === "POST" && action === "tools") {
        replica.tools = (JSON.parse(await readBody(request)) as { tools: Record<string, unknown>[] }).tools;
        json(response, 200, {});
        return;
      }
      if (request.method === "POST" && action === "resources") {
        replica.resources = (JSON.parse(await readBody(request)) as { resources: FleetResource[] }).resources;
        json(response, 200, {});
        return;
      }
      if (request.method === "POST" && action === "fault") {
        const body = JSON.parse(await readBody(request)) as {
          mode: FaultMode;
          delayMs?: number;
          status?: number;
        };
        if (body.mode === "kill") {
          await kill(replica);
        } else if (body.mode === "restart" || !replica.listening) {
          if (!replica.listening) await listen(replica);
          replica.mode = "ok";
        }
        if (body.mode !== "kill" && body.mode !== "restart") replica.mode = body.mode;
        replica.delayMs = body.delayMs ?? 0;
        replica.status = body.status ?? 503;
        json(response, 200, { mode: replica.mode, listening: replica.listening });
        return;
      }
      json(response, 404, { error: "unknown action" });
    })().catch((error: unknown) => json(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const address = control.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await Promise.all([...replicas.values()].map(kill));
      control.closeAllConnections();
      await new Promise<void>((resolve) => control.close(() => resolve()));
    },
  };
}
