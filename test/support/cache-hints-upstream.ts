// A small, real 2026-07-28 MCP server (stateless: `server/discover`, no
// sessions) whose resources/read results carry the caching hints of the
// 2026-07-28 schema, and that counts every read it serves, so tests can tell
// a cached answer from a fresh one. Mounted by the probe server at
// `/cache/mcp`; `GET /cache/stats` gives `{ reads: { [uri]: n } }`.
//   probe://cached/public   ttlMs 60000, cacheScope "public"
//   probe://cached/private  ttlMs 60000, cacheScope "private"
//   probe://uncached        ttlMs 0 (never cached)
// It answers `subscriptions/listen` with a never-ending stream (listen-upstream.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "./http-body.ts";
import { answerListen } from "./listen-upstream.ts";

const RESOURCES: { uri: string; ttlMs: number; cacheScope: "public" | "private" }[] = [
  { uri: "probe://cached/public", ttlMs: 60_000, cacheScope: "public" },
  { uri: "probe://cached/private", ttlMs: 60_000, cacheScope: "private" },
  { uri: "probe://uncached", ttlMs: 0, cacheScope: "private" },
];

const SERVER_INFO = { "io.modelcontextprotocol/serverInfo": { name: "cache-hints", version: "1.0.0" } };

export function cacheHintsUpstream() {
  const reads: Record<string, number> = {};

  return async function handle(request: IncomingMessage, response: ServerResponse, path: string) {
    if (path === "/cache/stats") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ reads }));
      return;
    }
    if (request.method !== "POST") {
      response.writeHead(405).end();
      return;
    }
    const message = JSON.parse(await readBody(request)) as {
      id?: number | string;
      method?: string;
      params?: { uri?: string };
    };
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    const answer = (status: number, body: Record<string, unknown>) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: message.id, ...body }));
    };
    const complete = (result: Record<string, unknown>) =>
      answer(200, { result: { ...result, resultType: "complete", _meta: SERVER_INFO } });
    switch (message.method) {
      case "server/discover":
        complete({
          supportedVersions: ["2026-07-28"],
          capabilities: { resources: {} },
          ttlMs: 0,
          cacheScope: "public",
        });
        return;
      case "resources/list":
        complete({
          resources: RESOURCES.map(({ uri }) => ({ uri, name: uri, mimeType: "text/plain" })),
          ttlMs: 0,
          cacheScope: "public",
        });
        return;
      case "subscriptions/listen":
        answerListen(message.id, response);
        return;
      case "resources/templates/list":
        complete({ resourceTemplates: [], ttlMs: 0, cacheScope: "public" });
        return;
      case "resources/read": {
        const resource = RESOURCES.find((entry) => entry.uri === message.params?.uri);
        if (!resource) {
          answer(200, { error: { code: -32602, message: "Resource not found" } });
          return;
        }
        const count = (reads[resource.uri] ?? 0) + 1;
        reads[resource.uri] = count;
        complete({
          contents: [{ uri: resource.uri, mimeType: "text/plain", text: `read #${count}` }],
          ttlMs: resource.ttlMs,
          cacheScope: resource.cacheScope,
        });
        return;
      }
      default:
        answer(404, { error: { code: -32601, message: "Method not found" } });
    }
  };
}
