// A loopback registry (Node) serving pages shaped like the official MCP
// registry's GET /v0.1/servers: two pages joined by a cursor, with a valid
// remote server on each, a packages-only server and a schema-invalid entry
// (a description over 100 characters). For federation tests.
import { createServer } from "node:http";

export interface OfficialRegistry {
  url: string;
  close(): Promise<void>;
}

/** Entries and their expected fate when synchronised. */
export const OFFICIAL_ENTRIES = {
  imported: ["io.github.acme/everything", "io.github.acme/second"],
  packagesOnly: "io.github.acme/local-only",
  invalid: "io.github.acme/verbose",
} as const;

function officialPages(everythingUrl: string): Record<string, unknown> {
  const response = (server: Record<string, unknown>) => ({
    server: {
      $schema: "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
      ...server,
    },
    _meta: {
      "io.modelcontextprotocol.registry/official": {
        status: "active",
        publishedAt: "2025-11-01T00:00:00Z",
        updatedAt: "2025-11-01T00:00:00Z",
        isLatest: true,
      },
    },
  });
  return {
    first: {
      servers: [
        response({
          name: "io.github.acme/everything",
          description: "The reference server, remote",
          version: "3.0.0",
          remotes: [
            {
              type: "streamable-http",
              url: "{base}/mcp",
              variables: { base: { default: everythingUrl.replace(/\/mcp$/, "") } },
            },
          ],
        }),
        response({
          name: "io.github.acme/local-only",
          description: "Runs from npm",
          version: "1.0.0",
          packages: [
            {
              registryType: "npm",
              identifier: "@acme/local-only",
              version: "1.0.0",
              transport: { type: "stdio" },
            },
          ],
        }),
      ],
      metadata: { nextCursor: "page-2", count: 2 },
    },
    "page-2": {
      servers: [
        response({
          name: "io.github.acme/verbose",
          description: "x".repeat(150),
          version: "1.0.0",
          remotes: [{ type: "sse", url: "https://verbose.example/sse" }],
        }),
        response({
          name: "io.github.acme/second",
          title: "Second",
          description: "Another remote",
          version: "0.1.0",
          remotes: [{ type: "streamable-http", url: everythingUrl }],
        }),
      ],
      metadata: { count: 2 },
    },
  };
}

/** Serves the pages on 127.0.0.1 (a free port); remotes point at `everythingUrl` (`.../mcp`). */
export async function startOfficialRegistry(everythingUrl: string): Promise<OfficialRegistry> {
  const pages = officialPages(everythingUrl);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (url.pathname !== "/v0.1/servers") {
      response.writeHead(404).end();
      return;
    }
    const page = pages[url.searchParams.get("cursor") ?? "first"];
    response
      .writeHead(page ? 200 : 400, { "content-type": "application/json" })
      .end(JSON.stringify(page ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
