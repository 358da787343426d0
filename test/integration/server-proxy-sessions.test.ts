// The per-server endpoint /{path}/mcp with real SDK clients inside workerd:
// - transport bridging: a Streamable HTTP client (SDK 1.x) reaches a server
//   that speaks only legacy HTTP+SSE (server-everything in SSE mode, the SDK
//   1.x SSEServerTransport), tools/list still cut by the caller's grants;
// - upstream session recovery: the upstream process is killed and restarted
//   (it forgets its sessions) between two calls of one client session, and
//   the next tools/list and tools/call succeed with no error reaching the
//   client;
// - a client hanging up its GET stream releases the upstream stream at once
//   (reopening it gets a stream, not 409);
// - within a session only the negotiated MCP-Protocol-Version is accepted.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BASE, devAdminToken, registerServer, uniquePath } from "../support/api.ts";
import { fault, newReplica, type Replica, registerOn, stats } from "../support/fleet.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";
import { legacySessionClient, textOf } from "../support/sdk-client.ts";

const { everythingStreamableUrl, everythingSseUrl } = inject("upstreams");

let token = "";
let ssePath = "";
let streamablePath = "";

beforeAll(async () => {
  token = await devAdminToken();
  ssePath = uniquePath("bridge");
  streamablePath = uniquePath("sessions");
  await registerServer(ssePath, { url: everythingSseUrl, transport: "sse" });
  await registerServer(streamablePath, { url: everythingStreamableUrl });
});

const sessionClient = (path: string) => legacySessionClient(`/${path}/mcp`, token);

describe("a Streamable HTTP client of an SSE-only server at /{path}/mcp", () => {
  it("initializes, lists and calls tools through the bridge", async () => {
    const { client, transport } = await sessionClient(ssePath);
    expect(transport.sessionId).toMatch(/^g1\./);
    expect(client.getServerVersion()?.name).toBeTruthy();
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("echo");
    const echoed = await client.callTool({ name: "echo", arguments: { message: "bridged" } });
    expect(textOf(echoed)).toContain("bridged");
    // A later request in the same session replays the recorded initialize on a new legacy conversation.
    expect((await client.listTools()).tools.length).toBe(tools.length);
    await transport.terminateSession();
    await client.close();
  });

  it("offers no standalone GET stream (405)", async () => {
    const response = await exports.default.fetch(`${BASE}/${ssePath}/mcp`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    });
    expect(response.status).toBe(405);
  });
});

describe("upstream restart between two calls on /{path}/mcp", () => {
  let replica: Replica;
  let path = "";

  beforeAll(async () => {
    replica = await newReplica();
    path = (await registerOn([replica])).path;
  });

  it("the next tools/list and tools/call succeed in the same client session", async () => {
    const { client, transport } = await sessionClient(path);
    const sessionBefore = transport.sessionId;
    expect(textOf(await client.callTool({ name: "whoami", arguments: {} }))).toBe(replica.id);
    expect((await stats(replica)).sessions).toBe(1);

    await fault(replica, "kill");
    await fault(replica, "restart");
    expect((await stats(replica)).sessions).toBe(0);

    const listed = await client.listTools();
    expect(listed.tools.map((tool) => tool.name)).toContain("whoami");
    expect(textOf(await client.callTool({ name: "whoami", arguments: {} }))).toBe(replica.id);
    const after = await stats(replica);
    // One new upstream session, opened with the client's own initialize, and the calls reached it.
    expect(after.sessions).toBe(1);
    expect(after.byMethod.initialize ?? 0).toBeGreaterThan(0);
    // The client was handed the token of the new session.
    expect(transport.sessionId).not.toBe(sessionBefore);
    await client.close();
  });

  it("a client that keeps its old token reaches the new session too", async () => {
    const opened = await postMcp(
      `${BASE}/${path}/mcp`,
      rpc("initialize", {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      }),
      { token },
    );
    expect(opened.status).toBe(200);
    const session = opened.headers.get("mcp-session-id") ?? "";
    await opened.arrayBuffer();
    await fault(replica, "kill");
    await fault(replica, "restart");
    const initializesBefore = (await stats(replica)).byMethod.initialize ?? 0;
    for (const id of [1, 2]) {
      const call = await postMcp(`${BASE}/${path}/mcp`, rpc("tools/call", { name: "whoami" }, id), {
        token,
        session,
        headers: { "mcp-protocol-version": "2025-06-18" },
      });
      expect(call.status).toBe(200);
      const [reply] = await messagesOf(call);
      expect(reply?.result?.content?.[0]?.text).toBe(replica.id);
    }
    // The second call went straight to the replacement session: one re-initialize only.
    expect((await stats(replica)).byMethod.initialize).toBe(initializesBefore + 1);
  });
});

const INITIALIZE = rpc("initialize", {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "sessions", version: "1" },
});

async function openSession(): Promise<string> {
  const opened = await postMcp(`${BASE}/${streamablePath}/mcp`, INITIALIZE, { token });
  expect(opened.status).toBe(200);
  await opened.arrayBuffer();
  const session = opened.headers.get("mcp-session-id") ?? "";
  const initialized = await postMcp(
    `${BASE}/${streamablePath}/mcp`,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { token, session, headers: { "mcp-protocol-version": "2025-06-18" } },
  );
  expect(initialized.status).toBe(202);
  return session;
}

describe("the GET stream of /{path}/mcp", () => {
  const getStream = (session: string) =>
    exports.default.fetch(`${BASE}/${streamablePath}/mcp`, {
      headers: {
        authorization: `Bearer ${token}`,
        accept: "text/event-stream",
        "mcp-session-id": session,
        "mcp-protocol-version": "2025-06-18",
      },
    });

  it("is released upstream as soon as the client hangs up: reopening gets a stream, not 409", async () => {
    const session = await openSession();
    const first = await getStream(session);
    expect(first.status).toBe(200);
    // The upstream allows one standalone stream per session: a second one while it is open is refused.
    const concurrent = await getStream(session);
    expect(concurrent.status).toBe(409);
    await concurrent.arrayBuffer();
    await first.body?.cancel();
    const again = await getStream(session);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });
});

describe("MCP-Protocol-Version within a session on /{path}/mcp", () => {
  it("refuses a version other than the negotiated one (-32022), accepts the negotiated one", async () => {
    const session = await openSession();
    const same = await postMcp(`${BASE}/${streamablePath}/mcp`, rpc("tools/list"), {
      token,
      session,
      headers: { "mcp-protocol-version": "2025-06-18" },
    });
    expect(same.status).toBe(200);
    await same.arrayBuffer();
    const other = await postMcp(`${BASE}/${streamablePath}/mcp`, rpc("tools/list"), {
      token,
      session,
      headers: { "mcp-protocol-version": "2025-03-26" },
    });
    expect(other.status).toBe(400);
    const [reply] = await messagesOf(other);
    expect(reply?.error?.code).toBe(-32022);
    expect(reply?.error?.data).toEqual({ requested: "2025-03-26", supported: ["2025-06-18"] });
  });
});
