// A real MCP server on loopback (Streamable HTTP, JSON answers, no sessions)
// serving several fixed tool catalogs, one per path: POST /c/{n}/mcp. For
// tests that register many catalogs (the tool-poisoning measurement). Node only.
import { createServer } from "node:http";
import { readBody } from "./http-body.ts";

export interface CatalogServer {
  /** MCP endpoint URL of catalog `n`. */
  urlOf(n: number): string;
  close(): Promise<void>;
}

export async function startCatalogServer(catalogs: Record<string, unknown>[][]): Promise<CatalogServer> {
  const server = createServer(async (request, response) => {
    const match = /^\/c\/(\d+)\/mcp$/.exec(new URL(request.url ?? "/", "http://localhost").pathname);
    const tools = match ? catalogs[Number(match[1])] : undefined;
    if (!tools || request.method !== "POST") {
      response.writeHead(tools ? 405 : 404).end();
      return;
    }
    const message = JSON.parse(await readBody(request)) as { id?: string | number; method?: string };
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    const answer = (body: Record<string, unknown>) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ jsonrpc: "2.0", id: message.id, ...body }));
    };
    switch (message.method) {
      case "initialize":
        return answer({
          result: {
            protocolVersion: "2025-06-18",
            capabilities: { tools: {} },
            serverInfo: { name: "catalog", version: "1.0.0" },
          },
        });
      case "ping":
        return answer({ result: {} });
      case "tools/list":
        return answer({ result: { tools } });
      default:
        return answer({ error: { code: -32601, message: "Method not found" } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    urlOf: (n) => `http://127.0.0.1:${port}/c/${n}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
