// Upstream session recovery on the aggregated endpoint and a virtual server:
// a session-based client (SDK 1.x) calls a tool (the gateway opens an
// upstream session and keeps it in the client's McpSession), the upstream
// process is killed and restarted (it forgets its sessions), and the next
// tools/list and tools/call of the same client session succeed with no
// error reaching the client: the gateway sees 404 on the stale upstream
// session, which proves the request was not processed, and opens a new one.
import { exports } from "cloudflare:workers";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { Client as LegacyClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as LegacyTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { beforeAll, describe, expect, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { fault, newReplica, type Replica, registerOn, stats } from "../support/fleet.ts";

let token = "";
let replica: Replica;
let path = "";
let virtualName = "";

beforeAll(async () => {
  token = await devAdminToken();
  replica = await newReplica();
  path = (await registerOn([replica])).path;
  virtualName = uniquePath("vsrec");
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name: virtualName, tools: [{ server: path, tool: "whoami" }] },
  });
  expect(created.status, await created.clone().text()).toBe(201);
});

async function sessionClient(endpoint: string) {
  const client = new LegacyClient(
    { name: "recovery-test", version: "1.0.0" },
    { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
  );
  await client.connect(
    new LegacyTransport(new URL(`${BASE}${endpoint}`), {
      fetch: (input, init) => exports.default.fetch(input, init),
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

function textOf(result: unknown): string {
  return (((result as { content?: unknown }).content ?? []) as { text?: string }[])
    .map((block) => block.text ?? "")
    .join("");
}

describe.each([
  ["/mcp", () => "/mcp", () => `${path}__whoami`],
  ["/v/{name}/mcp", () => `/v/${virtualName}/mcp`, () => "whoami"],
])("upstream restart between two calls on %s", (_label, endpoint, toolName) => {
  it("the next tools/list and tools/call succeed in the same client session", async () => {
    const client = await sessionClient(endpoint());
    expect(textOf(await client.callTool({ name: toolName(), arguments: {} }))).toBe(replica.id);
    const before = await stats(replica);
    expect(before.sessions).toBeGreaterThan(0);

    await fault(replica, "kill");
    await fault(replica, "restart");
    expect((await stats(replica)).sessions).toBe(0);

    const listed = await client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toContain(toolName());
    expect(textOf(await client.callTool({ name: toolName(), arguments: {} }))).toBe(replica.id);
    const after = await stats(replica);
    // A new upstream session was opened for the client session, and the call reached the upstream.
    expect(after.sessions).toBe(1);
    expect(after.byMethod.initialize ?? 0).toBeGreaterThan(0);
    await client.close();
  });
});
