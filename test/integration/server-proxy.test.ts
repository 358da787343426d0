// The per-server proxy (/{path}/mcp, /{path}/sse, /{path}/message) inside
// workerd with real D1 and real upstreams on loopback: the probe server (which
// echoes headers and counts calls) and server-everything in both transports.
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp, type RpcReply, rpc } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const { probeUrl, everythingStreamableUrl, everythingSseUrl } = inject("upstreams");

const BOT_GROUP = "probe-bot";
let probePath: string;
let everythingPath: string;
let ssePath: string;
let adminToken: string;
let botToken: string;

async function register(
  path: string,
  endpoint: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [endpoint], ...extra },
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

beforeAll(async () => {
  adminToken = await devAdminToken();
  probePath = uniquePath("probe");
  everythingPath = uniquePath("everything");
  ssePath = uniquePath("legacy");
  await register(
    probePath,
    { url: `${probeUrl}/mcp` },
    { egress: { type: "bearer", secret: "PROBE_EGRESS_TOKEN" } },
  );
  await register(everythingPath, { url: everythingStreamableUrl });
  await register(ssePath, { url: everythingSseUrl, transport: "sse" });
  const current = (await (await api("/api/v1/scopes")).json()) as {
    document: Record<string, Record<string, unknown>>;
  };
  const document = current.document;
  document.group_mappings = { ...document.group_mappings, [BOT_GROUP]: ["probe-limited"] };
  document.server_scopes = {
    ...document.server_scopes,
    "probe-limited": [
      {
        server: probePath,
        methods: ["initialize", "ping", "tools/list", "tools/call"],
        tools: ["public_info", "echo_headers", "slow_count"],
      },
      { server: ssePath, methods: ["initialize", "ping", "tools/list", "tools/call"], tools: ["echo"] },
    ],
  };
  const replaced = await api("/api/v1/scopes", { method: "PUT", json: document });
  expect(replaced.status, await replaced.clone().text()).toBe(200);
  botToken = tokenFor(principal({ tenant: "default", groups: [BOT_GROUP] }));
});

function post(
  path: string,
  body: unknown,
  options: { token?: string; session?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<Response> {
  return postMcp(`${BASE}/${path}/mcp`, body, { ...options, token: options.token ?? adminToken });
}

async function open(path: string, token = adminToken): Promise<string> {
  const response = await post(
    path,
    rpc("initialize", {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "proxy-test", version: "1.0.0" },
    }),
    { token },
  );
  expect(response.status).toBe(200);
  const session = response.headers.get("mcp-session-id");
  expect(session).toMatch(/^g1\./);
  await response.body?.cancel();
  await post(
    path,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { token, session: session ?? "" },
  );
  return session ?? "";
}

async function probeStats(reset = false): Promise<{ calls: Record<string, number>; requests: number }> {
  const response = await fetch(`${probeUrl}/stats`, { method: reset ? "POST" : "GET" });
  return (await response.json()) as { calls: Record<string, number>; requests: number };
}

describe("Streamable HTTP through /{path}/mcp", () => {
  it("opens a session whose id is sealed to the caller, then lists and calls tools", async () => {
    const session = await open(everythingPath);
    const list = await messagesOf(await post(everythingPath, rpc("tools/list", {}, 2), { session }));
    const names = (list[0]?.result?.tools ?? []).map((tool) => tool.name);
    const stored = (await (await api(`/api/v1/servers?path=${everythingPath}`)).json()) as {
      items: { tools: { name: string }[] }[];
    };
    expect(names).toEqual(stored.items[0]?.tools.map((tool) => tool.name));
    const call = await messagesOf(
      await post(everythingPath, rpc("tools/call", { name: "echo", arguments: { message: "hi" } }, 3), {
        session,
      }),
    );
    expect(call.at(-1)?.result?.content?.[0]?.text).toContain("hi");
  });

  it("never forwards the client's credentials and adds the server's egress credential", async () => {
    const session = await open(probePath);
    const replies = await messagesOf(
      await post(probePath, rpc("tools/call", { name: "echo_headers", arguments: {} }, 5), {
        session,
        headers: { cookie: "sid=client-cookie", "x-request-id": "abc", "x-forwarded-for": "10.0.0.1" },
      }),
    );
    const seen = JSON.parse(replies[0]?.result?.content?.[0]?.text ?? "{}") as Record<string, string>;
    expect(seen.authorization).toBe("Bearer probe-egress-secret-value");
    expect(JSON.stringify(seen)).not.toContain(adminToken);
    expect(seen.cookie).toBeUndefined();
    expect(seen["x-forwarded-for"]).toBeUndefined();
    // The upstream got its own session id, not the sealed one the client holds.
    expect(seen["mcp-session-id"]).not.toBe(session);
    expect(seen["mcp-session-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a session id presented by another identity", async () => {
    const adminSession = await open(probePath);
    // The owner's own request first: the isolate now holds the token, verified and parsed, for
    // the owner's binding (proxy/proxy-session.ts); another identity must still miss it.
    const own = await post(probePath, rpc("tools/list"), { session: adminSession });
    expect(own.status).toBe(200);
    await own.body?.cancel();
    const response = await post(probePath, rpc("tools/list"), { token: botToken, session: adminSession });
    expect(response.status).toBe(404);
    expect((await messagesOf(response))[0]?.error?.code).toBe(-32001);
    // A forged id is refused the same way.
    const forged = await post(probePath, rpc("tools/list"), { session: "g1.AAAA.BBBB" });
    expect(forged.status).toBe(404);
  });

  it("streams SSE answers with progress as they arrive", async () => {
    const session = await open(probePath);
    const response = await post(
      probePath,
      rpc("tools/call", { name: "slow_count", arguments: { steps: 3 }, _meta: { progressToken: "p1" } }, 9),
      { session },
    );
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    // The steady pass-through's headers (built in one record, w10-hdr): the stream's own over the
    // upstream's, the upstream's allowed ones; never the upstream's others.
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    expect(response.headers.get("mcp-protocol-version")).toBe("2025-06-18");
    expect(response.headers.get("set-cookie")).toBeNull();
    expect(response.headers.get("x-upstream-internal")).toBeNull();
    const messages = await messagesOf(response);
    const progress = messages.filter((m) => (m as { method?: string }).method === "notifications/progress");
    expect(progress).toHaveLength(3);
    expect(messages.at(-1)?.result?.content?.[0]?.text).toBe("counted to 3");
  });
});

describe("policy on every message", () => {
  it("lists only the tools the caller may call", async () => {
    const session = await open(probePath, botToken);
    const list = await messagesOf(
      await post(probePath, rpc("tools/list", {}, "l1"), { token: botToken, session }),
    );
    expect(list[0]?.id).toBe("l1");
    expect((list[0]?.result?.tools ?? []).map((tool) => tool.name).sort()).toEqual([
      "echo_headers",
      "public_info",
      "slow_count",
    ]);
  });

  it("refuses a denied call without contacting the upstream", async () => {
    const session = await open(probePath, botToken);
    await probeStats(true);
    const replies = await messagesOf(
      await post(probePath, rpc("tools/call", { name: "admin_reset", arguments: {} }, 7), {
        token: botToken,
        session,
      }),
    );
    expect(replies[0]).toMatchObject({
      id: 7,
      error: { code: -32003, data: { reason: "tool_not_granted" } },
    });
    expect((await probeStats()).requests).toBe(0);
  });

  it("splits a batch: allowed calls go upstream, denied ones are answered here", async () => {
    const session = await open(probePath, botToken);
    await probeStats(true);
    const replies = await messagesOf(
      await post(
        probePath,
        [
          rpc("tools/call", { name: "public_info", arguments: {} }, 1),
          rpc("tools/call", { name: "admin_reset" }, 2),
        ],
        { token: botToken, session, headers: { "mcp-protocol-version": "2025-06-18" } },
      ),
    );
    const byId = new Map(replies.map((reply) => [reply.id, reply]));
    expect(byId.get(1)?.result?.content?.[0]?.text).toBe("public_info ran");
    expect(byId.get(2)?.error?.code).toBe(-32003);
    const stats = await probeStats();
    expect(stats.calls).toEqual({ public_info: 1 });
  });

  it("refuses a server the caller has no grant for at all", async () => {
    const replies = await messagesOf(await post(everythingPath, rpc("tools/list"), { token: botToken }));
    expect(replies[0]?.error?.code).toBe(-32003);
  });

  it("writes one audit row per message after the response", async () => {
    const session = await open(probePath, botToken);
    await post(probePath, rpc("tools/call", { name: "admin_reset" }, "audit-1"), {
      token: botToken,
      session,
    });
    let rows: { decision: string; tool: string; outcome: string; reason: string }[] = [];
    for (let attempt = 0; attempt < 50 && rows.length === 0; attempt++) {
      const result = await env.DB.prepare(
        "select decision, tool, outcome, reason from audit_events where server_path = ? and tool = 'admin_reset'",
      )
        .bind(probePath)
        .all<{ decision: string; tool: string; outcome: string; reason: string }>();
      rows = result.results;
      if (rows.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(rows[0]).toEqual({
      decision: "deny",
      tool: "admin_reset",
      outcome: "denied",
      reason: "tool_not_granted",
    });
  });
});

describe("bad input and bad upstreams", () => {
  const cases: { name: string; send: () => Promise<Response>; status: number; code?: number }[] = [
    { name: "invalid JSON", send: () => post(probePath, null, { raw: "{nope" }), status: 400, code: -32700 },
    { name: "a non-JSON-RPC body", send: () => post(probePath, { hello: 1 }), status: 400, code: -32600 },
    {
      name: "an id in the gateway's reserved space",
      send: () => post(probePath, rpc("ping", {}, "gw:tl:1")),
      status: 400,
      code: -32600,
    },
    {
      name: "an unsupported protocol version",
      send: () => post(probePath, rpc("ping"), { headers: { "mcp-protocol-version": "1999-01-01" } }),
      status: 400,
      code: -32022,
    },
    {
      name: "Mcp-Method not matching the body",
      send: () =>
        post(probePath, rpc("tools/call", { name: "public_info" }), {
          headers: {
            "mcp-protocol-version": "2026-07-28",
            "mcp-method": "tools/list",
            "mcp-name": "public_info",
          },
        }),
      status: 400,
      code: -32020,
    },
    {
      name: "Mcp-Name not matching the body",
      send: () =>
        post(probePath, rpc("tools/call", { name: "admin_reset" }), {
          headers: { "mcp-method": "tools/call", "mcp-name": "public_info" },
        }),
      status: 400,
      code: -32020,
    },
    { name: "an unknown server path", send: () => post("no-such-server", rpc("ping")), status: 404 },
    {
      name: "a foreign Origin",
      send: () => post(probePath, rpc("ping"), { headers: { origin: "https://evil.example" } }),
      status: 403,
    },
  ];
  for (const testCase of cases) {
    it(`${testCase.name} → ${testCase.status}`, async () => {
      const response = await testCase.send();
      expect(response.status).toBe(testCase.status);
      const reply = (await messagesOf(response))[0];
      if (testCase.code !== undefined) expect(reply?.error?.code).toBe(testCase.code);
    });
  }

  it("passes an unknown method's error from the upstream", async () => {
    const session = await open(probePath);
    const replies = await messagesOf(await post(probePath, rpc("no/such/method", {}, 4), { session }));
    expect(replies[0]).toMatchObject({ id: 4, error: { code: -32601 } });
  });

  it("asks for a token with a resource-metadata challenge", async () => {
    const response = await exports.default.fetch(`${BASE}/${probePath}/mcp`, { method: "POST", body: "{}" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/resource_metadata="[^"]+"/);
  });

  it("answers 502 when the upstream returns garbage, 504 when it is too slow, and keeps serving", {
    timeout: 30_000,
  }, async () => {
    const garbage = uniquePath("garbage");
    const slow = uniquePath("slow");
    const cut = uniquePath("cut");
    await register(garbage, { url: `${probeUrl}/garbage/mcp` }, { timeoutMs: 1000 });
    await register(slow, { url: `${probeUrl}/slow/mcp` }, { timeoutMs: 1000 });
    await register(cut, { url: `${probeUrl}/cut/mcp` }, { timeoutMs: 1000 });

    const bad = await post(garbage, rpc("tools/list", {}, 1));
    expect(bad.status).toBe(502);
    expect((await messagesOf(bad))[0]).toMatchObject({ id: 1, error: { code: -32010 } });

    const late = await post(slow, rpc("tools/list", {}, 2));
    expect(late.status).toBe(504);
    expect((await messagesOf(late))[0]).toMatchObject({ id: 2, error: { code: -32011 } });

    // The upstream drops the connection mid-stream: the client's stream ends
    // with what arrived (or errors), and the gateway is unharmed.
    const cutResponse = await post(cut, rpc("tools/call", { name: "x" }, 3));
    expect(cutResponse.headers.get("content-type")).toBe("text/event-stream");
    const partial = await cutResponse.text().catch(() => "stream error");
    expect(partial).toMatch(/progress|stream error/);
    const after = await messagesOf(
      await post(probePath, rpc("ping", {}, 5), { session: await open(probePath) }),
    );
    expect(after[0]).toMatchObject({ id: 5, result: {} });
  });

  it("lets an SSE answer stream on past the deadline, which is for the response headers only", {
    timeout: 30_000,
  }, async () => {
    const longer = uniquePath("longer");
    await register(longer, { url: `${probeUrl}/mcp` }, { timeoutMs: 1000 });
    const session = await open(longer);
    // 75 steps 20 ms apart: the stream runs 1.5 s or more, past the 1 s deadline (the least allowed).
    const call = rpc(
      "tools/call",
      { name: "slow_count", arguments: { steps: 75 }, _meta: { progressToken: 1 } },
      7,
    );
    const response = await post(longer, call, { session });
    expect(response.status).toBe(200);
    const messages = await messagesOf(response);
    const progress = messages.filter((m) => (m as { method?: string }).method === "notifications/progress");
    expect(progress).toHaveLength(75);
    expect(messages.at(-1)).toMatchObject({ id: 7, result: { content: [{ text: "counted to 75" }] } });
  });
});

describe("legacy HTTP+SSE through /{path}/sse", () => {
  interface SseReader {
    next(): Promise<{ event: string; data: string }>;
    close(): Promise<void>;
  }

  function sseReader(response: Response): SseReader {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    return {
      async next() {
        while (true) {
          const end = buffer.indexOf("\n\n");
          if (end !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
            const data = block
              .split("\n")
              .filter((line) => line.startsWith("data: "))
              .map((line) => line.slice(6))
              .join("\n");
            if (data !== "") return { event, data };
            continue;
          }
          const { done, value } = await reader.read();
          if (done) throw new Error("stream ended");
          buffer += decoder.decode(value, { stream: true }).replaceAll("\r\n", "\n");
        }
      },
      close: () => reader.cancel(),
    };
  }

  async function legacySession(token: string) {
    const stream = await exports.default.fetch(`${BASE}/${ssePath}/sse`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    });
    expect(stream.status).toBe(200);
    const events = sseReader(stream);
    const endpoint = await events.next();
    expect(endpoint.event).toBe("endpoint");
    expect(endpoint.data).toMatch(new RegExp(`^/${ssePath}/message\\?session=g1\\.`));
    const send = (message: unknown) =>
      exports.default.fetch(`${BASE}${endpoint.data}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(message),
      });
    const call = async (message: { id: number }) => {
      const posted = await send(message);
      expect(posted.status).toBeLessThan(300);
      while (true) {
        const event = await events.next();
        const reply = JSON.parse(event.data) as RpcReply;
        if (reply.id === message.id) return reply;
      }
    };
    const init = await call(
      rpc(
        "initialize",
        { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "t", version: "1" } },
        0,
      ) as {
        id: number;
      },
    );
    expect(init.result?.protocolVersion).toBeTruthy();
    await send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return { endpoint: endpoint.data, send, call, close: events.close };
  }

  it("rewrites the endpoint, forwards messages and filters tools/list on the stream", async () => {
    const session = await legacySession(botToken);
    const list = await session.call(rpc("tools/list", {}, 1) as { id: number });
    expect((list.result?.tools ?? []).map((tool) => tool.name)).toEqual(["echo"]);
    const echo = await session.call(
      rpc("tools/call", { name: "echo", arguments: { message: "legacy" } }, 2) as { id: number },
    );
    expect(echo.result?.content?.[0]?.text).toContain("legacy");
    const denied = await session.call(
      rpc("tools/call", { name: "get-sum", arguments: { a: 1, b: 2 } }, 3) as { id: number },
    );
    expect(denied).toMatchObject({ id: 3, error: { code: -32003 } });
    await session.close();
  });

  it("refuses a message endpoint used by another identity", async () => {
    const session = await legacySession(adminToken);
    const stolen = await exports.default.fetch(`${BASE}${session.endpoint}`, {
      method: "POST",
      headers: { authorization: `Bearer ${botToken}`, "content-type": "application/json" },
      body: JSON.stringify(rpc("tools/list", {}, 1)),
    });
    expect(stolen.status).toBe(404);
    await session.close();
  });

  it("bridges a legacy client of a Streamable HTTP server (server-proxy-legacy-sse.test.ts)", async () => {
    const response = await exports.default.fetch(`${BASE}/${everythingPath}/sse`, {
      headers: { authorization: `Bearer ${adminToken}`, accept: "text/event-stream" },
    });
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>)
      .pipeThrough(new TextDecoderStream())
      .getReader();
    const { value } = await reader.read();
    expect(value).toMatch(new RegExp(`^event: endpoint\ndata: /${everythingPath}/message\\?sessionId=`));
    await reader.cancel();
  });
});

describe("replicas, circuits and rate limits on /{path}/mcp", () => {
  const DEAD = "http://127.0.0.1:1/mcp";

  it("fails over from a dead replica and pins the session to the replica that opened it", async () => {
    const path = uniquePath("replicated");
    await register(
      path,
      { url: DEAD, weight: 1000 },
      {
        endpoints: [
          { url: DEAD, weight: 1000 },
          { url: `${probeUrl}/mcp`, weight: 1 },
        ],
        egress: { type: "bearer", secret: "PROBE_EGRESS_TOKEN" },
        timeoutMs: 2000,
      },
    );
    for (let round = 0; round < 5; round++) {
      const session = await open(path);
      const replies = await messagesOf(
        await post(path, rpc("tools/call", { name: "public_info" }, round), { session }),
      );
      expect(replies[0]).toMatchObject({ id: round, result: { content: [{ text: "public_info ran" }] } });
    }
  });

  it("answers over-limit requests with 429, Retry-After and the JSON-RPC rate-limit error", async () => {
    const path = uniquePath("limited");
    await register(path, { url: `${probeUrl}/mcp` }, { rateLimit: { requests: 3, windowSeconds: 60 } });
    const statuses: number[] = [];
    let refused: Response | null = null;
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await post(path, rpc("ping", {}, attempt));
      statuses.push(response.status);
      if (response.status === 429 && refused === null) refused = response;
      else await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(refused?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(refused?.headers.get("ratelimit")).toBeTruthy();
    expect((await messagesOf(refused as Response))[0]).toMatchObject({ id: 3, error: { code: -32012 } });
  });
});
