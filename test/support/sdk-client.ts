// The SDK 1.x client (session-based Streamable HTTP) connected to the gateway
// inside workerd, and the text of a tool result: what the MCP endpoint tests
// drive real clients with.
import { exports } from "cloudflare:workers";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { BASE } from "./api.ts";

/** An SDK 1.x client connected to `endpoint` (e.g. `/demo/mcp`) as the bearer of `token`. */
export async function legacySessionClient(endpoint: string, token: string) {
  const client = new LegacyClient(
    { name: "gateway-test-v1", version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  const transport = new LegacyTransport(new URL(`${BASE}${endpoint}`), {
    fetch: (input, init) => exports.default.fetch(input, init),
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/** The text blocks of a tool result, joined. */
export function textOf(result: unknown, separator = ""): string {
  return (((result as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((block) => block.text ?? "")
    .join(separator);
}
