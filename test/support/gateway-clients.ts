// Real MCP clients against the gateway inside workerd (exports.default: real
// routes, services, D1): the SDK v2 client pinned to 2026-07-28 and the 1.x
// SDK client (session-based), each carrying a bearer token. Shared by the
// virtual-server and result-cache integration tests.
import { exports } from "cloudflare:workers";
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect } from "vitest";
import { api, BASE } from "./api.ts";

/** fetch that goes straight into the gateway worker. */
export const gatewayFetch = (input: string | URL | Request, init?: RequestInit) =>
  exports.default.fetch(input, init);

/** An SDK v2 client (stateless 2026-07-28) connected to `endpoint` (e.g. `/v/x/mcp`) with `token`. */
export async function modernClient(
  endpoint: string,
  token: string,
  name = "gateway-test-v2",
): Promise<ModernClient> {
  const client = new ModernClient(
    { name, version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    },
  );
  await client.connect(
    new ModernTransport(new URL(`${BASE}${endpoint}`), {
      fetch: gatewayFetch,
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

/** A 1.x SDK client (a session on `endpoint`) with `token`; terminate the transport's session when done. */
export async function legacyClient(endpoint: string, token: string, name = "gateway-test-v1") {
  const client = new LegacyClient(
    { name, version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  const transport = new LegacyTransport(new URL(`${BASE}${endpoint}`), {
    fetch: gatewayFetch,
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/**
 * Adds to the tenant's scopes document a group `group` that confers `scope`,
 * and the server grants of that scope (read, modify, PUT; asserts the PUT).
 */
export async function grantScope(
  group: string,
  scope: string,
  grants: Record<string, unknown>[],
): Promise<void> {
  const current = (await (await api("/api/v1/scopes")).json()) as {
    document: Record<string, Record<string, unknown>>;
  };
  const document = current.document;
  document.group_mappings = { ...document.group_mappings, [group]: [scope] };
  document.server_scopes = { ...document.server_scopes, [scope]: grants };
  const replaced = await api("/api/v1/scopes", { method: "PUT", json: document });
  expect(replaced.status, await replaced.clone().text()).toBe(200);
}

/**
 * One raw 2026-07-28 resources/read at `endpoint` (e.g. `/v/x/mcp`): the text
 * and the caching hints as the wire carries them. Raw, because the SDK v2
 * client keeps `ttlMs` results in a cache of its own and would not ask.
 */
export async function readResource2026(endpoint: string, uri: string, token: string) {
  const response = await gatewayFetch(`${BASE}${endpoint}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "resources/read",
      "mcp-name": uri,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "resources/read",
      params: {
        uri,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    }),
  });
  const body = await response.text();
  const json = body.startsWith("{") ? body : (/^data: (.*)$/m.exec(body)?.[1] ?? "{}");
  const result = (JSON.parse(json) as { result?: Record<string, unknown> }).result ?? {};
  const contents = (result.contents ?? []) as { text?: string }[];
  return { text: contents[0]?.text ?? "", ttlMs: result.ttlMs, cacheScope: result.cacheScope };
}
