// Raw MCP over HTTP for tests inside workerd: building JSON-RPC messages,
// POSTing them to the gateway as a given caller, and reading the answer's
// messages whether it came as JSON or as an SSE stream.
import { exports } from "cloudflare:workers";

export interface RpcReply {
  jsonrpc: "2.0";
  id: string | number | null;
  result?: Record<string, unknown> & { tools?: { name: string }[]; content?: { text: string }[] };
  error?: { code: number; message: string; data?: unknown };
}

export function rpc(method: string, params: Record<string, unknown> = {}, id: string | number = 1) {
  return { jsonrpc: "2.0", id, method, params };
}

export interface PostOptions {
  token: string;
  session?: string;
  headers?: Record<string, string>;
  /** Sent instead of the JSON of `body` (for malformed bodies). */
  raw?: string;
}

export function postMcp(url: string, body: unknown, options: PostOptions): Promise<Response> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    ...options.headers,
  };
  if (options.session) headers["mcp-session-id"] = options.session;
  return exports.default.fetch(url, { method: "POST", headers, body: options.raw ?? JSON.stringify(body) });
}

/** The JSON-RPC messages of a response, whether JSON or SSE. */
export async function messagesOf(response: Response): Promise<RpcReply[]> {
  const type = response.headers.get("content-type") ?? "";
  const text = await response.text();
  if (type.startsWith("text/event-stream")) {
    return text
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice(6)) as RpcReply);
  }
  const body = JSON.parse(text) as RpcReply | RpcReply[];
  return Array.isArray(body) ? body : [body];
}

/** Opens an MCP session at `url` (initialize + initialized) and returns its id. */
export async function openSession(url: string, token: string): Promise<string> {
  const response = await postMcp(
    url,
    rpc("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "test", version: "1" },
    }),
    { token },
  );
  if (response.status !== 200) throw new Error(`initialize: ${response.status} ${await response.text()}`);
  const id = response.headers.get("mcp-session-id") ?? "";
  await response.body?.cancel();
  await (
    await postMcp(url, { jsonrpc: "2.0", method: "notifications/initialized" }, { token, session: id })
  ).body?.cancel();
  return id;
}

/** One request in an open session; its (first) reply. */
export async function request(
  url: string,
  session: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): Promise<RpcReply> {
  const [reply] = await messagesOf(await postMcp(url, rpc(method, params, 7), { token, session }));
  return reply as RpcReply;
}
