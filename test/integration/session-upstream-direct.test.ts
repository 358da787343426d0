// The upstream leg of a session client's plain tools/call on /mcp
// (aggregated/session-call.ts -> upstream/upstream-call.ts): once the upstream
// session is open (or the 2026-07-28 generation known) it is one direct POST
// (upstream/direct-exchange.ts) although the call has the session's relay;
// the POST is the one the SDK client sends (a 2026-07-28 envelope declares
// the relay's client capabilities), and an answer carrying server-to-client
// messages is handed to the SDK client, whose relay brings them to the
// session client on the call's stream. The SDK client's request is the
// same call with a progress token (progress keeps the SDK client upstream).
// Real upstream on loopback (test/support/answers-upstream.ts), real D1 and
// Durable Objects in workerd.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { type SseEvent, SseParser } from "../../worker/protocol/sse.ts";
import { directCalls } from "../../worker/upstream/direct-exchange.ts";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";

const upstreams = inject("upstreams");
const URLS = {
  modern: `${upstreams.probeUrl}/answers/modern/mcp`,
  session: `${upstreams.probeUrl}/answers/session/mcp`,
};
/** What the session client declares: the relay declares it upstream (upstream-relay.ts). */
const CAPABILITIES = { elicitation: {}, sampling: {} };
const paths = { modern: "", session: "" };
let token: string;

interface Stats {
  posts: number;
  initializes: number;
  calls: Record<string, number>;
}

async function stats(): Promise<Stats> {
  return (await (await fetch(`${upstreams.probeUrl}/answers/stats`)).json()) as Stats;
}

beforeAll(async () => {
  token = await devAdminToken();
  for (const generation of ["modern", "session"] as const) {
    paths[generation] = uniquePath(`sessdir${generation.slice(0, 3)}`);
    const response = await api("/api/v1/servers", {
      method: "POST",
      json: {
        name: paths[generation],
        path: paths[generation],
        endpoints: [{ url: URLS[generation] }],
        circuitBreaker: { failureThreshold: 1000 },
      },
    });
    expect(response.status, await response.clone().text()).toBe(201);
  }
});

function post(body: unknown, session?: string): Promise<Response> {
  return exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(session && { "mcp-session-id": session, "mcp-protocol-version": "2025-11-25" }),
    },
    body: JSON.stringify(body),
  });
}

async function openSession(): Promise<string> {
  const response = await post({
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: {
      protocolVersion: "2025-11-25",
      capabilities: CAPABILITIES,
      clientInfo: { name: "session-direct-test", version: "1" },
    },
  });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  const session = response.headers.get("mcp-session-id") ?? "";
  await (await post({ jsonrpc: "2.0", method: "notifications/initialized" }, session)).body?.cancel();
  return session;
}

interface Answer {
  events: SseEvent[];
  messages: Record<string, unknown>[];
  reply: { result?: { content?: { text?: string }[] }; error?: unknown };
}

async function call(session: string, name: string, progress = false): Promise<Answer> {
  const params = { name, arguments: {}, ...(progress && { _meta: { progressToken: "p-1" } }) };
  const response = await post({ jsonrpc: "2.0", id: 7, method: "tools/call", params }, session);
  expect(response.status).toBe(200);
  const text = await response.text();
  const parser = new SseParser();
  // A result with nothing before it is one JSON body (aggregated/session-streams.ts `answer`).
  const events = response.headers.get("content-type")?.startsWith("application/json")
    ? [{ data: text, comments: [] }]
    : [...parser.push(text), ...parser.end()];
  const messages = events.filter((event) => event.data !== "").map((event) => JSON.parse(event.data));
  return { events, messages, reply: messages.find((message) => message.id === 7) ?? {} };
}

/** What the upstream received (echo_request), without what differs per call (id, progress token and body length, trace, session). */
function received(answer: Answer): { body: Record<string, unknown>; headers: Record<string, unknown> } {
  const { body, headers } = JSON.parse(answer.reply.result?.content?.[0]?.text ?? "{}") as {
    body: { params?: { _meta?: Record<string, unknown> } } & Record<string, unknown>;
    headers: Record<string, unknown>;
  };
  const { id: _id, ...rest } = body;
  const meta = body.params?._meta;
  if (meta) {
    const { progressToken: _token, ...kept } = meta;
    if (Object.keys(kept).length === 0) delete body.params?._meta;
    else if (body.params) body.params._meta = kept;
  }
  const {
    traceparent: _p,
    tracestate: _s,
    "mcp-session-id": _session,
    "content-length": _length,
    ...kept
  } = headers;
  return { body: rest, headers: kept };
}

describe("the upstream leg of a session's plain tools/call", () => {
  for (const generation of ["session", "modern"] as const) {
    it(`is one direct POST once the upstream is known, the SDK client's request (${generation} upstream)`, async () => {
      const session = await openSession();
      const path = paths[generation];
      // The first call opens the upstream session (or learns the generation) through the SDK client.
      expect((await call(session, `${path}__plain`)).reply.result?.content?.[0]?.text).toBe("plain answer");
      const before = await stats();
      const counted = { ...directCalls };
      const answer = await call(session, `${path}__plain`);
      expect(answer.reply.result?.content?.[0]?.text).toBe("plain answer");
      const after = await stats();
      expect(after.posts - before.posts).toBe(1);
      expect(after.initializes - before.initializes).toBe(0);
      expect(directCalls.answered - counted.answered).toBe(1);
      expect(directCalls.handedOver).toBe(counted.handedOver);

      // The same request on the wire as the SDK client's (a progress token keeps that one on the SDK).
      const fast = received(await call(session, `${path}__echo_request`));
      const viaSdk = received(await call(session, `${path}__echo_request`, true));
      expect(fast).toEqual(viaSdk);
      expect(fast.body.method).toBe("tools/call");
      if (generation === "modern") {
        expect(fast.body.params).toMatchObject({
          _meta: { "io.modelcontextprotocol/clientCapabilities": CAPABILITIES },
        });
      }
    });
  }

  it("hands an answer with server-to-client messages to the SDK client, relayed on the call's stream", async () => {
    const session = await openSession();
    const path = paths.session;
    await call(session, `${path}__plain`);
    const counted = { ...directCalls };
    const before = await stats();
    // A log message, then the result: the relay brings the message to the session client first.
    const logged = await call(session, `${path}__sse`);
    expect(logged.reply.result?.content?.[0]?.text).toBe("streamed");
    expect(logged.messages[0]).toMatchObject({
      method: "notifications/message",
      params: { level: "info", data: "working" },
    });
    // The upstream pings first: the SDK client answers it, then reads the result.
    const pinged = await call(session, `${path}__ping_first`);
    expect(pinged.reply.error).toBeUndefined();
    expect(directCalls.handedOver - counted.handedOver).toBe(2);
    expect(directCalls.answered).toBe(counted.answered);
    // Never sent twice.
    const after = await stats();
    for (const tool of ["sse", "ping_first"]) {
      expect((after.calls[tool] ?? 0) - (before.calls[tool] ?? 0), tool).toBe(1);
    }
  });
});
