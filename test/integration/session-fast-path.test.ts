// A session client's plain tools/call served in the Worker
// (aggregated/session-direct-call.ts) from what the McpSession object vouched
// for (aggregated/session-ledger.ts), with the object off the critical path.
// That the object is skipped is read from the real object: every call it
// serves opens one of its session streams (`SessionStreams`), whose count is
// read inside the object. Real upstream on loopback
// (test/support/answers-upstream.ts, a 2025-06-18 session server), real D1
// and Durable Objects in workerd.
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { McpSession } from "../../durable-objects/mcp-session.ts";
import { sessionLedger } from "../../worker/aggregated/session-ledger.ts";
import { sessionObjectName } from "../../worker/platform/durable-objects.ts";
import { SseParser } from "../../worker/protocol/sse.ts";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const UPSTREAM = `${upstreams.probeUrl}/answers/session/mcp`;
const VERSION = "2025-11-25";
let token: string;
let path: string;

interface UpstreamStats {
  posts: number;
  cancelled: number;
  calls: Record<string, number>;
}

async function upstreamStats(): Promise<UpstreamStats> {
  return (await (await fetch(`${upstreams.probeUrl}/answers/stats`)).json()) as UpstreamStats;
}

beforeAll(async () => {
  token = await devAdminToken();
  path = uniquePath("fastsess");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: UPSTREAM }], circuitBreaker: { failureThreshold: 1000 } },
  });
  expect(response.status, await response.clone().text()).toBe(201);
});

function post(body: unknown, session?: string, as = token): Promise<Response> {
  return exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${as}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(session && { "mcp-session-id": session, "mcp-protocol-version": VERSION }),
    },
    body: JSON.stringify(body),
  });
}

async function openSession(capabilities: Record<string, unknown> = {}, as = token): Promise<string> {
  const response = await post(
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: VERSION,
        capabilities,
        clientInfo: { name: "fast-path-test", version: "1" },
      },
    },
    undefined,
    as,
  );
  expect(response.status).toBe(200);
  await response.body?.cancel();
  const session = response.headers.get("mcp-session-id") ?? "";
  const initialized = await post({ jsonrpc: "2.0", method: "notifications/initialized" }, session, as);
  expect(initialized.status).toBe(202);
  return session;
}

function stub(session: string) {
  return env.MCP_SESSION.getByName(sessionObjectName(session));
}

/** How many calls the real object has served (each opens one session stream). */
function objectCalls(session: string): Promise<number> {
  return runInDurableObject(
    stub(session),
    async (instance: McpSession) =>
      (instance as unknown as { streams: { nextStream: number } }).streams.nextStream,
  );
}

interface Answer {
  status: number;
  contentType: string;
  messages: Record<string, unknown>[];
}

async function read(response: Response): Promise<Answer> {
  const text = await response.text();
  const contentType = response.headers.get("content-type") ?? "";
  let messages: Record<string, unknown>[] = [];
  if (contentType.startsWith("application/json")) messages = text ? [JSON.parse(text)] : [];
  else if (contentType.startsWith("text/event-stream")) {
    const parser = new SseParser();
    messages = [...parser.push(text), ...parser.end()]
      .filter((event) => event.data !== "")
      .map((event) => JSON.parse(event.data));
  }
  return { status: response.status, contentType, messages };
}

async function call(session: string, tool: string, id: number, meta?: Record<string, unknown>, as = token) {
  const params = { name: `${path}__${tool}`, arguments: {}, ...(meta && { _meta: meta }) };
  return read(await post({ jsonrpc: "2.0", id, method: "tools/call", params }, session, as));
}

/** Until the ledger holds the session with its upstream session (the object's answer to the Worker's question). */
async function untilVouched(session: string): Promise<void> {
  await expect
    .poll(() => Object.keys(sessionLedger.current(session)?.facts.upstream ?? {}).length, { timeout: 5_000 })
    .toBeGreaterThan(0);
}

/** A session whose first call went through the object (it opened the upstream session) and whose facts the Worker holds. */
async function warmSession(as = token): Promise<string> {
  const session = await openSession({}, as);
  const first = await call(session, "plain", 1, undefined, as);
  expect(first.messages[0]).toMatchObject({ id: 1, result: { content: [{ type: "text" }] } });
  await untilVouched(session);
  return session;
}

describe("a session client's plain tools/call in the Worker", () => {
  it("is answered without the object, with the object's answer", async () => {
    const session = await warmSession();
    const served = await objectCalls(session);
    expect(served).toBe(1);
    const before = await upstreamStats();
    for (let id = 2; id < 6; id++) {
      const answer = await call(session, "plain", id);
      expect(answer.status).toBe(200);
      expect(answer.contentType).toContain("application/json");
      expect(answer.messages).toEqual([
        {
          jsonrpc: "2.0",
          id,
          result: expect.objectContaining({ content: [expect.objectContaining({ type: "text" })] }),
        },
      ]);
    }
    // The object served none of them; the upstream got each once, in the session the object opened.
    expect(await objectCalls(session)).toBe(served);
    const after = await upstreamStats();
    expect((after.calls.plain ?? 0) - (before.calls.plain ?? 0)).toBe(4);
    expect(after.posts - before.posts).toBe(4);

    // The same call through the object (a progress token is the object's to relay) answers alike.
    const viaObject = await call(session, "plain", 9, { progressToken: "p" });
    expect(await objectCalls(session)).toBe(served + 1);
    const direct = await call(session, "plain", 9);
    expect(direct.messages).toEqual(viaObject.messages);
  });

  it("records the same audit events as the object's path", async () => {
    // http_500 last: a failed upstream session is forgotten, and the next call goes to the object to open one.
    const tools = ["plain", "rpc_error", "bad_result", "sse", "http_500"];
    const fastCaller = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
    const objectCaller = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
    const fastSession = await warmSession(tokenFor(fastCaller));
    const objectSession = await warmSession(tokenFor(objectCaller));
    const served = await objectCalls(fastSession);
    let id = 10;
    for (const tool of tools) {
      await call(fastSession, tool, ++id, undefined, tokenFor(fastCaller));
      // A progress token keeps the call on the object's path (the upstream leg is the same direct POST).
      await call(objectSession, tool, id, { progressToken: "p" }, tokenFor(objectCaller));
    }
    expect(await objectCalls(fastSession)).toBe(served);
    type Row = Record<string, unknown>;
    const rowsOf = async (who: typeof fastCaller, session: string) =>
      (
        await env.DB.prepare(
          "select method, server_path, tool, decision, reason, outcome, upstream_status, detail from audit_events where subject = ? and server_path = ? order by tool",
        )
          .bind(who.subject, path)
          .all<Row>()
      ).results.map((row) => ({
        ...row,
        detail: String(row.detail).replace(session.slice(0, 8), "SESSION"),
      }));
    // Each caller's rows: the warm-up call and the five above.
    await expect.poll(async () => (await rowsOf(fastCaller, fastSession)).length, { timeout: 5_000 }).toBe(6);
    await expect
      .poll(async () => (await rowsOf(objectCaller, objectSession)).length, { timeout: 5_000 })
      .toBe(6);
    const fast: Row[] = await rowsOf(fastCaller, fastSession);
    expect(fast).toEqual(await rowsOf(objectCaller, objectSession));
    expect(fast.map((row) => row.outcome)).toContain("upstream_error");
  });

  it("relays the upstream's log message on the call's answer before the result", async () => {
    const session = await warmSession();
    const served = await objectCalls(session);
    const answer = await call(session, "sse", 3);
    expect(answer.contentType).toContain("text/event-stream");
    expect(answer.messages.map((message) => message.method ?? message.id)).toEqual([
      "notifications/message",
      3,
    ]);
    expect(await objectCalls(session)).toBe(served);
  });

  it("answers the upstream's errors as the object does", async () => {
    const session = await warmSession();
    const direct = await call(session, "rpc_error", 4);
    const viaObject = await call(session, "rpc_error", 4, { progressToken: "p" });
    expect(direct.messages).toEqual(viaObject.messages);
    expect(direct.messages[0]).toHaveProperty("error");
  });

  it("sends another identity presenting the session to the object: 404, nothing upstream", async () => {
    const session = await warmSession();
    expect(sessionLedger.current(session)).not.toBeNull();
    const stranger = tokenFor(principal({ tenant: "default", groups: ["fast-path-stranger"] }));
    const before = await upstreamStats();
    const answer = await call(session, "plain", 2, undefined, stranger);
    expect(answer.status).toBe(404);
    expect(answer.messages[0]).toMatchObject({ error: { code: -32001 } });
    expect((await upstreamStats()).posts).toBe(before.posts);
    // The owner's session is untouched.
    expect((await call(session, "plain", 3)).messages[0]).toHaveProperty("result");
  });

  it("refuses a call after DELETE (the ledger forgets the session at once)", async () => {
    const session = await warmSession();
    const deleted = await exports.default.fetch(`${BASE}/mcp`, {
      method: "DELETE",
      headers: {
        authorization: `Bearer ${token}`,
        "mcp-session-id": session,
        "mcp-protocol-version": VERSION,
      },
    });
    expect(deleted.status).toBe(204);
    expect(sessionLedger.current(session)).toBeNull();
    const before = await upstreamStats();
    const answer = await call(session, "plain", 2);
    expect(answer.status).toBe(404);
    expect(answer.messages[0]).toMatchObject({ error: { code: -32001 } });
    expect((await upstreamStats()).calls.plain).toBe(before.calls.plain);
  });

  it("forgets a session ended elsewhere once the object says so", async () => {
    const session = await warmSession();
    // Ended through the object itself, as another isolate's DELETE or the idle expiry would.
    const owner = sessionLedger.current(session)?.facts.owner;
    expect(owner).toBeDefined();
    await runInDurableObject(stub(session), async (instance: McpSession) => {
      await (instance as unknown as { terminate(record: unknown): Promise<void> }).terminate(
        await (instance as unknown as { load(): Promise<unknown> }).load(),
      );
    });
    // The next refresh (at most every 2 s while the session is used, trusted at most 5 s) evicts.
    await sessionLedger.refresh(session, async () =>
      stub(session).facts(await ownerPrincipal(session), null),
    );
    expect(sessionLedger.current(session)).toBeNull();
    const answer = await call(session, "plain", 2);
    expect(answer.status).toBe(404);
  });

  it("aborts a call served here when the client cancels it", async () => {
    const session = await warmSession();
    const served = await objectCalls(session);
    const before = await upstreamStats();
    const pending = call(session, "slow", 5);
    await expect
      .poll(async () => (await upstreamStats()).calls.slow ?? 0)
      .toBeGreaterThan(before.calls.slow ?? 0);
    const cancel = await post(
      {
        jsonrpc: "2.0",
        method: "notifications/cancelled",
        params: { requestId: 5, reason: "changed my mind" },
      },
      session,
    );
    expect(cancel.status).toBe(202);
    const answer = await pending;
    // As the SDK: no reply to a cancelled request; the upstream hears the cancellation.
    expect(answer.messages.filter((message) => message.id === 5)).toEqual([]);
    await expect.poll(async () => (await upstreamStats()).cancelled).toBeGreaterThan(before.cancelled);
    expect(await objectCalls(session)).toBe(served);
  });

  it("hands the object the upstream session it opened when the session's one failed", async () => {
    const session = await warmSession();
    const [key, lost] = Object.entries(sessionLedger.current(session)?.facts.upstream ?? {})[0] ?? [];
    expect(lost).toBeDefined();
    // The upstream forgets the session (as after a restart): the next call gets 404 there.
    await fetch(UPSTREAM, { method: "DELETE", headers: { "mcp-session-id": lost?.sessionId ?? "" } });
    const served = await objectCalls(session);
    const answer = await call(session, "plain", 2);
    expect(answer.messages[0]).toHaveProperty("result");
    expect(await objectCalls(session)).toBe(served);
    // The object keeps the replacement (it ends it with the session), and so does the ledger.
    const kept = () =>
      runInDurableObject(
        stub(session),
        async (_: McpSession, state) =>
          (await state.storage.get<{ sessionId: string }>(`upstream:${key}`))?.sessionId,
      );
    await expect.poll(kept, { timeout: 5_000 }).not.toBe(lost?.sessionId);
    const replacement = await kept();
    expect(replacement).toBeDefined();
    expect(sessionLedger.current(session)?.facts.upstream[key ?? ""]?.sessionId).toBe(replacement);
    expect((await call(session, "plain", 3)).messages[0]).toHaveProperty("result");
    expect(await objectCalls(session)).toBe(served);
  });

  it("leaves a call that is not plain to the object", async () => {
    const session = await warmSession();
    const served = await objectCalls(session);
    const answer = await call(session, "plain", 2, { progressToken: "p-2" });
    expect(answer.messages.find((message) => message.id === 2)).toHaveProperty("result");
    expect(await objectCalls(session)).toBe(served + 1);
  });

  it("leaves a client that declared elicitation to the object", async () => {
    const session = await openSession({ elicitation: {} });
    await call(session, "plain", 1);
    await expect.poll(() => sessionLedger.current(session)?.facts.bridges, { timeout: 5_000 }).toBe(true);
    const served = await objectCalls(session);
    const answer = await call(session, "plain", 2);
    expect(answer.messages[0]).toHaveProperty("result");
    expect(await objectCalls(session)).toBe(served + 1);
  });
});

/** The principal the dev-login token stands for, as the object compares it (its stored owner). */
async function ownerPrincipal(session: string) {
  const owner = JSON.parse(sessionLedger.current(session)?.facts.owner ?? "[]") as string[];
  return { tenant: owner[0], issuer: owner[1], subject: owner[2] } as Parameters<McpSession["facts"]>[0];
}
