// The session hot path (aggregated/session-call.ts): a plain tools/call of a
// session-based client is answered in the McpSession object without a
// per-request SDK server and transport, and its answer is the one the SDK's
// full path gives: the same JSON-RPC messages (results, tool errors, protocol
// errors, refusals, progress), the same SSE framing (priming event on
// 2025-11-25, an id on every event). The full path is reached with the same
// call carrying a `_meta` key the direct path leaves to the SDK. Real
// upstreams (the demo backend, server-everything), real D1 and Durable
// Objects in workerd.
import { exports } from "cloudflare:workers";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/server";
import { beforeAll, describe, expect, inject, it, vi } from "vitest";
import { type SseEvent, SseParser } from "../../worker/protocol/sse.ts";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const MCP_URL = `${BASE}/mcp`;

let adminToken: string;
const paths = { demo: "", everything: "" };

beforeAll(async () => {
  adminToken = await devAdminToken();
  paths.demo = uniquePath("demo");
  paths.everything = uniquePath("ev");
  for (const [path, url] of [
    [paths.demo, upstreams.demoUrl],
    [paths.everything, upstreams.everythingStreamableUrl],
  ] as const) {
    const response = await api("/api/v1/servers", {
      method: "POST",
      json: { name: path, path, endpoints: [{ url }] },
    });
    expect(response.status, await response.clone().text()).toBe(201);
  }
});

interface Session {
  id: string;
  token: string;
  version: string;
}

async function openSession(version: string, token = adminToken): Promise<Session> {
  const response = await post(
    {
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: version,
        capabilities: {},
        clientInfo: { name: "direct-test", version: "1" },
      },
    },
    { token },
  );
  expect(response.status).toBe(200);
  await response.body?.cancel();
  const session = { id: response.headers.get("mcp-session-id") ?? "", token, version };
  await (
    await post({ jsonrpc: "2.0", method: "notifications/initialized" }, { token }, session)
  ).body?.cancel();
  return session;
}

function post(body: unknown, { token }: { token: string }, session?: Session): Promise<Response> {
  return exports.default.fetch(MCP_URL, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(session && { "mcp-session-id": session.id, "mcp-protocol-version": session.version }),
    },
    body: JSON.stringify(body),
  });
}

interface Answer {
  status: number;
  contentType: string | null;
  events: SseEvent[];
  messages: Record<string, unknown>[];
  /** Requests the SDK's server transport handled for this answer. */
  sdkRequests: number;
}

async function call(session: Session, params: Record<string, unknown>, full: boolean): Promise<Answer> {
  const handled = vi.spyOn(WebStandardStreamableHTTPServerTransport.prototype, "handleRequest");
  const meta = params._meta as Record<string, unknown> | undefined;
  // A _meta key the direct path does not read sends the call to the SDK's full path.
  const sent = full ? { ...params, _meta: { ...meta, "test.example/full-path": true } } : params;
  const response = await post(
    { jsonrpc: "2.0", id: 5, method: "tools/call", params: sent },
    session,
    session,
  );
  const contentType = response.headers.get("content-type");
  const text = await response.text();
  const parser = new SseParser();
  // A plain answer comes as one JSON body (session-streams.ts `answer`): read as one unnamed event.
  const events = contentType?.startsWith("application/json")
    ? [{ data: text, comments: [] }]
    : [...parser.push(text), ...parser.end()];
  const sdkRequests = handled.mock.calls.length;
  handled.mockRestore();
  return {
    status: response.status,
    contentType,
    events,
    messages: events.filter((event) => event.data !== "").map((event) => JSON.parse(event.data)),
    sdkRequests,
  };
}

/** The direct and the full path's answers to the same call, checked to be the same. */
async function sameAnswer(session: Session, params: Record<string, unknown>): Promise<Answer> {
  const direct = await call(session, params, false);
  const full = await call(session, params, true);
  expect(direct.sdkRequests).toBe(0);
  expect(full.sdkRequests).toBe(1);
  expect(direct.status).toBe(full.status);
  expect(direct.messages).toEqual(full.messages);
  // A result with nothing before it: one JSON body, where the SDK's transport writes one SSE event.
  if (direct.contentType === "application/json") {
    expect(full.contentType).toBe("text/event-stream");
    expect(direct.messages).toHaveLength(1);
    return direct;
  }
  expect(direct.contentType).toBe(full.contentType);
  // The same framing: priming event or not, an id and the message type on every event.
  const framing = (answer: Answer) =>
    answer.events.map((event) => ({
      id: event.id !== undefined,
      event: event.event ?? "message",
      retry: event.retry,
      empty: event.data === "",
    }));
  expect(framing(direct)).toEqual(framing(full));
  return direct;
}

describe.each(["2025-11-25", "2025-06-18"])(
  "a session's plain tools/call on the direct path (%s)",
  (version) => {
    it("answers a result, a structured result and a tool error as the full path does", async () => {
      const session = await openSession(version);
      const counted = await sameAnswer(session, {
        name: `${paths.demo}__word_count`,
        arguments: { text: "a b c" },
      });
      expect(JSON.stringify(counted.messages.at(-1))).toContain('"words"');
      const converted = await sameAnswer(session, {
        name: `${paths.demo}__convert_units`,
        arguments: { value: 2, from: "km", to: "m" },
      });
      expect(converted.messages.at(-1)).toMatchObject({
        id: 5,
        result: { structuredContent: { result: 2000 } },
      });
      // Arguments the upstream refuses: its own answer, relayed alike.
      await sameAnswer(session, { name: `${paths.demo}__convert_units`, arguments: { value: "x" } });
      // The gateway's own registry tool.
      await sameAnswer(session, { name: "list_servers", arguments: {} });
      // The result alone, at once: one JSON body, no stream to prime.
      expect(counted.contentType).toBe("application/json");
      expect(counted.events).toHaveLength(1);
    });

    it("answers an unknown tool and a refused call with the full path's errors", async () => {
      const session = await openSession(version);
      const unknown = await sameAnswer(session, { name: `${paths.demo}__no_such_tool`, arguments: {} });
      expect((unknown.messages.at(-1) as { error?: { code: number } }).error?.code).toBe(-32602);
      // A caller without any grant: refused before any upstream request.
      const nobody = await openSession(
        version,
        tokenFor(principal({ tenant: "default", groups: ["session-call-nobody"] })),
      );
      const refused = await sameAnswer(nobody, {
        name: `${paths.demo}__word_count`,
        arguments: { text: "a" },
      });
      expect((refused.messages.at(-1) as { error?: { code: number } }).error?.code).toBe(-32003);
    });

    it("streams the upstream's progress on the call's stream as the full path does", async () => {
      const session = await openSession(version);
      const answer = await sameAnswer(session, {
        name: `${paths.everything}__trigger-long-running-operation`,
        arguments: { duration: 0.2, steps: 2 },
        _meta: { progressToken: "p-1" },
      });
      // Progress before the result: the answer is the SSE stream, framed as the SDK's.
      expect(answer.contentType).toBe("text/event-stream");
      if (version >= "2025-11-25") expect(answer.events[0]).toMatchObject({ data: "", retry: "1000" });
      const progress = answer.messages.filter((message) => message.method === "notifications/progress");
      expect(progress).toHaveLength(2);
      expect(progress[0]).toMatchObject({ params: { progressToken: "p-1" } });
    });
  },
);
