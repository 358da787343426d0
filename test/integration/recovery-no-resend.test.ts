// Upstream session recovery resends a tools/call only when it provably never
// reached the upstream (issue 11, item 5), on all three endpoints: a real
// replica (test/support/fault-fleet.ts) with a live upstream session reads
// the client's tools/call and then resets the connection, so the call may
// have run. The gateway must not send it again (no second tools/call, no
// re-initialize to retry it on): the client gets an error, and once the
// replica behaves, the same client session calls again with no error.
// The resend that is allowed: an idempotent request after a reset goes again
// on a new upstream session (below: tools/list on /{path}/mcp, resources/read
// on /mcp and a virtual server, in a client session and from the stateless
// pool; after a 404 on the upstream session id: upstream-recovery.test.ts
// and server-proxy-sessions.test.ts).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import {
  fault,
  newReplica,
  type Replica,
  type ReplicaStats,
  registerOn,
  setResources,
  stats,
} from "../support/fleet.ts";
import { messagesOf, postMcp } from "../support/mcp-http.ts";
import { legacySessionClient, textOf } from "../support/sdk-client.ts";

let token = "";

// Promise rejections nothing handled, in this isolate (the gateway runs in it). workerd also logs
// "Uncaught (in promise) ... Network connection lost" for each reset POST from inside its own fetch,
// even when the fetch's rejection is caught (checked with a bare fetch); that one never reaches JS.
const unhandled: string[] = [];
globalThis.addEventListener("unhandledrejection", (event) => {
  unhandled.push(String(event.reason));
});

afterEach(async () => {
  // The gateway ends upstream sessions after the response (waitUntil): let that run, then look.
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(unhandled).toEqual([]);
});
const NOTE_URI = "fleet://note";

beforeAll(async () => {
  token = await devAdminToken();
});

/** A replica of its own per endpoint, so counts are this test's alone. */
async function setUp(
  kind: "path" | "mcp" | "virtual",
): Promise<{ replica: Replica; endpoint: string; tool: string; note: string }> {
  const replica = await newReplica();
  await setResources(replica, [{ uri: NOTE_URI, name: "note", text: `note of ${replica.id}` }]);
  const { path } = await registerOn([replica]);
  if (kind === "path") return { replica, endpoint: `/${path}/mcp`, tool: "whoami", note: NOTE_URI };
  // The aggregated endpoint wraps resource URIs (aggregated/gateway-names.ts); a virtual server keeps them.
  if (kind === "mcp")
    return { replica, endpoint: "/mcp", tool: `${path}__whoami`, note: `mcpgw://${path}/${NOTE_URI}` };
  const name = uniquePath("vnoresend");
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name, tools: [{ server: path, tool: "whoami" }], resources: [{ server: path, uri: NOTE_URI }] },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return { replica, endpoint: `/v/${name}/mcp`, tool: "whoami", note: NOTE_URI };
}

describe.each([
  ["/{path}/mcp", "path"],
  ["/mcp", "mcp"],
  ["/v/{name}/mcp", "virtual"],
] as const)("a tools/call whose connection is reset after the upstream read it, on %s", (_label, kind) => {
  it("is not sent again; the session keeps working once the upstream does", async () => {
    const { replica, endpoint, tool } = await setUp(kind);
    const { client, transport } = await legacySessionClient(endpoint, token);
    // The first call opens the upstream session the next one reuses.
    expect(textOf(await client.callTool({ name: tool, arguments: {} }))).toBe(replica.id);
    const callsBefore = (await stats(replica)).calls;

    await fault(replica, "reset");
    const requestsBefore = (await stats(replica)).requests;
    const failed = await client.callTool({ name: tool, arguments: {} }).then(
      (result) => (result.isError === true ? "tool error" : `succeeded: ${textOf(result)}`),
      (error: unknown) => `refused: ${String(error)}`,
    );
    expect(failed).not.toMatch(/^succeeded/);
    // Exactly one request reached the replica: the call itself, never resent (nor re-initialized for a resend).
    expect((await stats(replica)).requests - requestsBefore).toBe(1);

    await fault(replica, "ok");
    expect(textOf(await client.callTool({ name: tool, arguments: {} }))).toBe(replica.id);
    // The reset call never ran (the replica resets before it executes); the recovered one did.
    expect((await stats(replica)).calls).toBe(callsBefore + 1);
    await transport.terminateSession().catch(() => {});
    await client.close();
  });
});

describe("an idempotent request whose connection is reset once, on /{path}/mcp", () => {
  it("is sent again on a new upstream session, with no error reaching the client", async () => {
    const { replica, endpoint } = await setUp("path");
    const { client, transport } = await legacySessionClient(endpoint, token);
    expect(textOf(await client.callTool({ name: "whoami", arguments: {} }))).toBe(replica.id);
    const before = await stats(replica);
    await fault(replica, "reset-once");
    const listed = await client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toContain("whoami");
    const after = await stats(replica);
    // The reset tools/list, a new session's initialize (+ initialized), the tools/list again.
    expect(after.byMethod.initialize ?? 0).toBe((before.byMethod.initialize ?? 0) + 1);
    expect(after.byMethod["tools/list"] ?? 0).toBe((before.byMethod["tools/list"] ?? 0) + 1);
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(3);
    await transport.terminateSession().catch(() => {});
    await client.close();
  });
});

describe.each([
  ["/mcp", "mcp"],
  ["/v/{name}/mcp", "virtual"],
] as const)("a resources/read whose kept upstream session is reset once, on %s", (_label, kind) => {
  it("is sent again on a new upstream session, with no error reaching the client", async () => {
    const { replica, endpoint, tool, note: uri } = await setUp(kind);
    const { client, transport } = await legacySessionClient(endpoint, token);
    // The call opens the upstream session the client session keeps; the read resumes it.
    expect(textOf(await client.callTool({ name: tool, arguments: {} }))).toBe(replica.id);
    expect((await client.listResources()).resources.map((resource) => resource.uri)).toContain(uri);
    const before = await stats(replica);

    await fault(replica, "reset-once");
    const read = await client.readResource({ uri });
    expect(read.contents.map((content) => ("text" in content ? content.text : ""))).toEqual([
      `note of ${replica.id}`,
    ]);
    await expectOneResend(replica, before);
    await transport.terminateSession().catch(() => {});
    await client.close();
  });
});

describe("a resources/read whose pooled upstream session is reset once, from a stateless /mcp caller", () => {
  it("is sent again on a new upstream session, with no error reaching the client", async () => {
    const { replica, tool, note: uri } = await setUp("mcp");
    const call = (method: string, params: Record<string, unknown>, name: string) =>
      postMcp(
        `${BASE}/mcp`,
        { jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: ENVELOPE } },
        {
          token,
          headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": method, "mcp-name": name },
        },
      ).then(async (response) => {
        expect(response.status).toBe(200);
        const [reply] = await messagesOf(response);
        expect(reply?.error).toBeUndefined();
        return reply?.result as Record<string, unknown>;
      });
    // The call leaves its upstream session in the isolate pool; the read borrows it.
    await call("tools/call", { name: tool, arguments: {} }, tool);
    const before = await stats(replica);
    await fault(replica, "reset-once");
    const read = await call("resources/read", { uri }, uri);
    expect((read.contents as { text?: string }[]).map((content) => content.text)).toEqual([
      `note of ${replica.id}`,
    ]);
    await expectOneResend(replica, before);
  });
});

/** Since `before`: the reset read, one new session (initialize + initialized), the read once more, nothing else. */
async function expectOneResend(replica: Replica, before: ReplicaStats): Promise<void> {
  const after = await stats(replica);
  expect(after.byMethod.initialize ?? 0).toBe((before.byMethod.initialize ?? 0) + 1);
  // The reset read is counted as a request only (the replica resets before parsing it): one read answered.
  expect(after.byMethod["resources/read"] ?? 0).toBe((before.byMethod["resources/read"] ?? 0) + 1);
  expect(after.requests - before.requests).toBe(4);
}

/** The request envelope of a stateless 2026-07-28 client. */
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "no-resend-test", version: "1" },
};
