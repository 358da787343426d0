// The demo backend over Streamable HTTP on plain `node:http`: 2026-07-28
// (stateless, per-request) traffic goes to the SDK's `createMcpHandler`;
// 2025-era traffic gets real sessions (Mcp-Session-Id) so a gateway's session
// handling is exercised. Run it with `node demo/server.ts` (DEMO_PORT, DEMO_HOST).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  isInitializeRequest,
  isLegacyRequest,
  legacyStatelessFallback,
  localhostAllowedHostnames,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { createDemoServer } from "./tools.ts";

export interface DemoServerOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Idle 2025-era sessions are closed after this long. */
  sessionIdleMs?: number;
  /** New sessions are refused (503) beyond this many. */
  maxSessions?: number;
}

export interface DemoServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:8788/mcp. */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
}

/** 2025-era sessions: one McpServer and transport per Mcp-Session-Id, closed when idle. */
class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly stateless = legacyStatelessFallback(() => createDemoServer());
  private readonly idleMs: number;
  private readonly maxSessions: number;

  // No parameter properties: Node's type stripping does not support them.
  constructor(idleMs: number, maxSessions: number) {
    this.idleMs = idleMs;
    this.maxSessions = maxSessions;
    this.sweeper = setInterval(() => this.closeIdle(), Math.min(idleMs, 60_000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  async handle(request: Request): Promise<Response> {
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId) {
      const session = this.sessions.get(sessionId);
      // 404 tells a 2025 client its session is gone and it should initialize again.
      if (!session) return jsonRpcError(404, -32001, "Session not found");
      session.lastUsed = Date.now();
      return session.transport.handleRequest(request);
    }
    if (request.method !== "POST")
      return jsonRpcError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
    const body: unknown = await request
      .clone()
      .json()
      .catch(() => undefined);
    // A session-less request that is not `initialize` is answered statelessly,
    // which suits callers that skip the handshake (health probes, one-shot calls).
    if (!isInitializeRequest(body)) return this.stateless(request);
    if (this.sessions.size >= this.maxSessions) return jsonRpcError(503, -32000, "Too many open sessions");
    return this.open(request, body);
  }

  private async open(request: Request, body: unknown): Promise<Response> {
    const server = createDemoServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, lastUsed: Date.now() });
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  }

  private closeIdle(): void {
    const cutoff = Date.now() - this.idleMs;
    for (const [id, session] of this.sessions) {
      if (session.lastUsed >= cutoff) continue;
      this.sessions.delete(id);
      void session.server.close().catch(() => undefined);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(open.map((session) => session.server.close()));
  }
}

/** Builds the fetch-shaped handler for the whole demo server. */
function createDemoHandler(options: { checkHost: boolean; sessions: SessionTable }) {
  const modern = createMcpHandler(() => createDemoServer(), { legacy: "reject" });
  const allowedHosts = localhostAllowedHostnames();

  async function fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/health") {
      return Response.json({ status: "ok", sessions: options.sessions.size });
    }
    if (url.pathname !== "/mcp") return new Response("Not found", { status: 404 });
    // On loopback, refuse foreign Host headers (DNS rebinding protection).
    const rejected = options.checkHost ? hostHeaderValidationResponse(request, allowedHosts) : undefined;
    if (rejected) return rejected;
    if (await isLegacyRequest(request)) return options.sessions.handle(request);
    return modern.fetch(request);
  }

  return { fetch, close: () => modern.close() };
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

// ---------------------------------------------------------------------------
// node:http <-> fetch API

async function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  res.writeHead(response.status, headers);
  if (!response.body) {
    res.end();
    return;
  }
  // Send headers now: an SSE stream may stay silent for a long time.
  res.flushHeaders();
  const reader = response.body.getReader();
  res.on("close", () => {
    void reader.cancel().catch(() => undefined);
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch {
    /* the client went away or the stream was cancelled */
  }
  res.end();
}

async function serveNode(
  handler: (request: Request) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const aborted = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborted.abort();
  });
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? undefined : await readBody(req);
  if (body === "too-large") {
    res.writeHead(413, { "content-type": "text/plain" }).end("Request body too large");
    return;
  }
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
  const request = new Request(url, { method, headers: toHeaders(req), body, signal: aborted.signal });
  let response: Response;
  try {
    response = await handler(request);
  } catch (error) {
    console.error("demo server: unhandled error", error);
    response = jsonRpcError(500, -32603, "Internal error");
  }
  await writeResponse(res, response);
}

// ---------------------------------------------------------------------------

/** Starts the demo backend; resolves once it is listening. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? "127.0.0.1";
  const sessions = new SessionTable(options.sessionIdleMs ?? 30 * 60_000, options.maxSessions ?? 1_000);
  const handler = createDemoHandler({ checkHost: LOOPBACK.has(host), sessions });
  const http = createServer((req, res) => {
    void serveNode(handler.fetch, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const hostInUrl = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${port}/mcp`,
    close: () => {
      closing ??= (async () => {
        await Promise.allSettled([sessions.closeAll(), handler.close()]);
        // Open SSE streams would keep `close` waiting forever.
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
}

async function main(): Promise<void> {
  const port = Number(process.env.DEMO_PORT ?? 8788);
  const host = process.env.DEMO_HOST ?? "127.0.0.1";
  const server = await startDemoServer({ port, host });
  console.log(`demo MCP server listening on ${server.url}`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
