// The SDK 1.x client (session-based Streamable HTTP, or legacy HTTP+SSE)
// connected to the gateway inside workerd, and the text of a tool result:
// what the MCP endpoint tests drive real clients with.
import { exports } from "cloudflare:workers";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
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

/**
 * An SDK 1.x client over legacy HTTP+SSE connected to `endpoint` (e.g.
 * `/demo/sse`) as the bearer of `token`, and the message endpoint the
 * gateway named in its `endpoint` event. `client` may be set up first
 * (capabilities, request handlers).
 */
export async function legacySseClient(
  endpoint: string,
  token: string,
  client = new LegacyClient(
    { name: "gateway-test-v1-sse", version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  ),
) {
  const gatewayFetch: typeof fetch = (input, init) => exports.default.fetch(input, init);
  const authorization = `Bearer ${token}`;
  const transport = new SSEClientTransport(new URL(`${BASE}${endpoint}`), {
    fetch: gatewayFetch,
    eventSourceInit: {
      fetch: (url, init) =>
        gatewayFetch(url, { ...init, headers: { ...(init?.headers as object), authorization } }),
    },
    requestInit: { headers: { authorization } },
  });
  await client.connect(transport);
  deliverEachEventOnce(transport);
  const url = (transport as unknown as { _endpoint?: URL })._endpoint;
  return { client, transport, endpoint: url ? `${url.pathname}${url.search}` : "" };
}

/**
 * Inside workerd EventTarget.dispatchEvent also calls an `on<type>`
 * property, so the `eventsource` package's EventSource hands each message to
 * `onmessage` twice (Node does not). Each event is passed on once, as a
 * client outside workerd sees it.
 */
function deliverEachEventOnce(transport: SSEClientTransport): void {
  const source = (transport as unknown as { _eventSource: { onmessage: ((event: Event) => void) | null } })
    ._eventSource;
  const handler = source.onmessage;
  const seen = new WeakSet<Event>();
  source.onmessage = (event) => {
    if (seen.has(event)) return;
    seen.add(event);
    handler?.call(source, event);
  };
}

/** The text blocks of a tool result, joined. */
export function textOf(result: unknown, separator = ""): string {
  return (((result as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((block) => block.text ?? "")
    .join(separator);
}
