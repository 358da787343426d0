// Upstream session recovery resends a tools/call only when it provably never
// reached the upstream (issue 11, item 5), on all three endpoints: a real
// replica (test/support/fault-fleet.ts) with a live upstream session reads
// the client's tools/call and then resets the connection, so the call may
// have run. The gateway must not send it again (no second tools/call, no
// re-initialize to retry it on): the client gets an error, and once the
// replica behaves, the same client session calls again with no error.
// The resend that is allowed: an idempotent request after a reset goes again
// on a new upstream session (below, /{path}/mcp; after a 404 on the upstream
// session id: upstream-recovery.test.ts and server-proxy-sessions.test.ts).
import { beforeAll, describe, expect, it } from "vitest";
import { api, devAdminToken, uniquePath } from "../support/api.ts";
import { fault, newReplica, type Replica, registerOn, stats } from "../support/fleet.ts";
import { legacySessionClient, textOf } from "../support/sdk-client.ts";

let token = "";

beforeAll(async () => {
  token = await devAdminToken();
});

/** A replica of its own per endpoint, so counts are this test's alone. */
async function setUp(
  kind: "path" | "mcp" | "virtual",
): Promise<{ replica: Replica; endpoint: string; tool: string }> {
  const replica = await newReplica();
  const { path } = await registerOn([replica]);
  if (kind === "path") return { replica, endpoint: `/${path}/mcp`, tool: "whoami" };
  if (kind === "mcp") return { replica, endpoint: "/mcp", tool: `${path}__whoami` };
  const name = uniquePath("vnoresend");
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name, tools: [{ server: path, tool: "whoami" }] },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  return { replica, endpoint: `/v/${name}/mcp`, tool: "whoami" };
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
