// The direct upstream call of a plain stateless tools/call on /mcp
// (worker/upstream/direct-exchange.ts), inside workerd against a real
// upstream on loopback that answers in every shape (test/support/answers-upstream.ts),
// in both generations: it answers exactly as the SDK client path does
// (results, upstream errors, failures, audit events), sends one POST per call,
// hands unusual answers to the SDK without sending the call twice, and a
// denied call never reaches the upstream.
import { env } from "cloudflare:workers";
import { ProtocolError, SdkError } from "@modelcontextprotocol/client";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { DirectConversation, directCalls, NOTHING_TO_CLOSE } from "../../worker/upstream/direct-exchange.ts";
import { UpstreamConnection } from "../../worker/upstream/upstream-client.ts";
import { ANSWER_SHAPES } from "../support/answers-upstream.ts";
import { api, BASE, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp, type RpcReply } from "../support/mcp-http.ts";
import { principal, tokenFor, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();
const upstreams = inject("upstreams");
const MODERN_URL = `${upstreams.probeUrl}/answers/modern/mcp`;
const SESSION_URL = `${upstreams.probeUrl}/answers/session/mcp`;
const GROUP = "direct-call-bot";

const paths = { modern: "", session: "" };
let direct: Principal;
let viaSdk: Principal;
let limited: Principal;

interface Stats {
  posts: number;
  initializes: number;
  cancelled: number;
  deletes: number;
  calls: Record<string, number>;
}

async function stats(): Promise<Stats> {
  return (await (await fetch(`${upstreams.probeUrl}/answers/stats`)).json()) as Stats;
}

beforeAll(async () => {
  paths.modern = uniquePath("dirmod");
  paths.session = uniquePath("dirses");
  for (const [path, url] of [
    [paths.modern, MODERN_URL],
    [paths.session, SESSION_URL],
  ] as const) {
    const response = await api("/api/v1/servers", {
      method: "POST",
      // A high threshold: the failing tools here must not open the replica's circuit.
      json: { name: path, path, endpoints: [{ url }], circuitBreaker: { failureThreshold: 1000 } },
    });
    expect(response.status, await response.clone().text()).toBe(201);
  }
  const current = (await (await api("/api/v1/scopes")).json()) as {
    document: Record<string, Record<string, unknown>>;
  };
  const document = current.document;
  document.group_mappings = { ...document.group_mappings, [GROUP]: [GROUP] };
  document.server_scopes = {
    ...document.server_scopes,
    [GROUP]: [{ server: paths.session, methods: ["tools/call"], tools: ["echo_request"] }],
  };
  expect((await api("/api/v1/scopes", { method: "PUT", json: document })).status).toBe(200);
  direct = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
  viaSdk = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
  limited = principal({ tenant: "default", groups: [GROUP] });
});

/**
 * One stateless tools/call through /mcp. `sdk` adds a log level to the
 * envelope: the call then goes through the SDK's server and, upstream, the
 * SDK client with a relay (the full path), with the same upstream request.
 */
async function call(who: Principal, name: string, sdk = false): Promise<{ status: number; reply: RpcReply }> {
  const response = await postMcp(
    `${BASE}/mcp`,
    {
      jsonrpc: "2.0",
      id: 9,
      method: "tools/call",
      params: {
        name,
        arguments: {},
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "direct-test", version: "1" },
          ...(sdk && { "io.modelcontextprotocol/logLevel": "emergency" }),
        },
      },
    },
    {
      token: tokenFor(who),
      headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call", "mcp-name": name },
    },
  );
  const [reply] = await messagesOf(response);
  return { status: response.status, reply: reply as RpcReply };
}

/** What the upstream received (echo_request), without what legitimately differs per call. */
function received(reply: RpcReply): { body: Record<string, unknown>; headers: Record<string, unknown> } {
  const text = reply.result?.content?.[0]?.text ?? "{}";
  const { body, headers } = JSON.parse(text) as {
    body: Record<string, unknown>;
    headers: Record<string, unknown>;
  };
  const { id: _id, ...rest } = body;
  const { traceparent: _traceparent, tracestate: _tracestate, "mcp-session-id": _session, ...kept } = headers;
  return { body: rest, headers: kept };
}

describe("direct upstream call of a plain stateless tools/call", () => {
  for (const generation of ["modern", "session"] as const) {
    it(`answers every shape exactly as the SDK client path does (${generation} upstream)`, async () => {
      const path = paths[generation];
      for (const tool of ANSWER_SHAPES.filter((shape) => shape !== "slow")) {
        const name = `${path}__${tool}`;
        const fast = await call(direct, name);
        const full = await call(viaSdk, name, true);
        expect(fast.status, tool).toBe(full.status);
        if (tool === "echo_request") {
          expect(fast.reply.error).toBeUndefined();
          // The same request on the wire: body (but its id) and headers (but trace and session).
          expect(received(fast.reply), tool).toEqual(received(full.reply));
          const sent = received(fast.reply);
          expect(sent.body.method).toBe("tools/call");
          if (generation === "modern") expect(sent.headers["mcp-name"]).toBe("echo_request");
          else expect(sent.headers["mcp-protocol-version"]).toBe("2025-06-18");
          continue;
        }
        expect(fast.reply, tool).toEqual(full.reply);
      }
    });
  }

  it("sends one POST per call once the generation is known, read without the SDK client", async () => {
    for (const path of [paths.modern, paths.session]) {
      await call(direct, `${path}__plain`);
      const before = await stats();
      const counted = { ...directCalls };
      const { reply } = await call(direct, `${path}__plain`);
      expect(reply.result?.content?.[0]?.text).toBe("plain answer");
      const after = await stats();
      expect(after.posts - before.posts, path).toBe(1);
      expect(after.initializes - before.initializes).toBe(0);
      expect(directCalls.answered - counted.answered, path).toBe(1);
      expect(directCalls.handedOver, path).toBe(counted.handedOver);
      // An SSE answer of one response (after priming events) is read in place too.
      for (const [tool, text] of [
        ["sse_plain", "streamed plain"],
        ["sse_primed", "streamed primed"],
      ]) {
        const plainStream = await call(direct, `${path}__${tool}`);
        expect(plainStream.reply.result?.content?.[0]?.text, tool).toBe(text);
      }
      expect(directCalls.answered - counted.answered, path).toBe(3);
      expect(directCalls.handedOver, path).toBe(counted.handedOver);
      // An SSE answer with anything else in it is the SDK's to read: handed over, still one POST.
      const postsBefore = (await stats()).posts;
      const streamed = await call(direct, `${path}__sse`);
      expect(streamed.reply.result?.content?.[0]?.text).toBe("streamed");
      expect(directCalls.handedOver - counted.handedOver, path).toBe(1);
      expect((await stats()).posts - postsBefore, path).toBe(1);
    }
  });

  it("records the same audit events as the SDK client path", async () => {
    const tools = ["plain", "rpc_error", "http_500", "bad_result"];
    // Callers of their own: only this test's rows.
    const fastCaller = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
    const fullCaller = principal({ tenant: "default", groups: ["mcp-registry-admin"] });
    for (const tool of tools) {
      await call(fastCaller, `${paths.session}__${tool}`);
      await call(fullCaller, `${paths.session}__${tool}`, true);
    }
    type Row = { tool: string; decision: string; outcome: string; upstream_status: number | null };
    const rowsOf = async (who: Principal) =>
      (
        await env.DB.prepare(
          "select tool, decision, outcome, upstream_status from audit_events where subject = ? and server_path = ? order by tool",
        )
          .bind(who.subject, paths.session)
          .all<Row>()
      ).results;
    let fast: Row[] = [];
    let full: Row[] = [];
    for (
      let attempt = 0;
      attempt < 100 && (fast.length < tools.length || full.length < tools.length);
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      [fast, full] = [await rowsOf(fastCaller), await rowsOf(fullCaller)];
    }
    expect(fast).toHaveLength(tools.length);
    expect(fast).toEqual(full);
    expect(fast.map((row) => [row.tool, row.outcome])).toEqual(
      expect.arrayContaining([
        ["plain", "ok"],
        ["rpc_error", "upstream_error"],
        ["http_500", "upstream_error"],
      ]),
    );
  });

  it("refuses a denied call before any upstream request", async () => {
    const before = await stats();
    const { reply } = await call(limited, `${paths.session}__plain`);
    expect(reply.error?.code).toBe(-32003);
    const after = await stats();
    expect(after.posts).toBe(before.posts);
    expect(after.calls.plain ?? 0).toBe(before.calls.plain ?? 0);
    // The allowed tool goes through.
    expect((await call(limited, `${paths.session}__echo_request`)).reply.error).toBeUndefined();
  });
});

describe("DirectConversation", () => {
  const DISCOVER = { supportedVersions: ["2026-07-28"], capabilities: { tools: {} } };

  /** A direct conversation with the modern upstream; counts hand-overs to the SDK. */
  function conversation() {
    const signal = new AbortController().signal;
    const handovers: number[] = [];
    const target = { url: MODERN_URL, headers: {} };
    const conversation = new DirectConversation(
      target,
      { era: "modern", version: "2026-07-28" },
      {
        signal,
        fetch: (input, init) => fetch(input, init),
        handover: (replaying) => {
          handovers.push(1);
          return new UpstreamConnection(
            { url: MODERN_URL, transport: "streamable-http" },
            { signal, negotiation: { kind: "modern", discover: DISCOVER } as never, fetch: replaying },
          );
        },
      },
    );
    const run = (tool: string) =>
      conversation.request(
        { method: "tools/call", params: { name: tool, arguments: {} } },
        { signal, timeout: 5_000 },
      );
    return { run, handovers, conversation };
  }

  it("reads a plain answer itself: a result, an untyped result, an upstream error", async () => {
    const plain = conversation();
    expect(await plain.run("plain")).toEqual({
      content: [{ type: "text", text: "plain answer" }],
      _meta: { "io.modelcontextprotocol/serverInfo": { name: "answers", version: "1.0.0" } },
    });
    expect(plain.conversation.observed.lastPostStatus).toBe(200);
    const untyped = conversation();
    expect(await untyped.run("no_type")).toEqual({ content: [{ type: "text", text: "untyped" }] });
    const failing = conversation();
    const error = await failing.run("rpc_error").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ code: -32602, message: "bad arguments", data: { field: "x" } });
    expect([...plain.handovers, ...untyped.handovers, ...failing.handovers]).toEqual([]);
  });

  it("sends egress headers in any case once, Accept merged with the SDK's; a finished 2026 call has nothing to close", async () => {
    const signal = new AbortController().signal;
    const conversation = new DirectConversation(
      { url: MODERN_URL, headers: { "X-Api-Key": "k1", Accept: "application/json" } },
      { era: "modern", version: "2026-07-28" },
      {
        signal,
        fetch: (input, init) => fetch(input, init),
        handover: () => {
          throw new Error("no hand-over expected");
        },
      },
    );
    const result = await conversation.request(
      { method: "tools/call", params: { name: "echo_request", arguments: {} } },
      { signal, timeout: 5_000 },
    );
    const [block] = result.content as { text: string }[];
    const { headers } = JSON.parse(block?.text ?? "{}") as { headers: Record<string, string> };
    expect(headers["x-api-key"]).toBe("k1");
    // One Accept (the egress one's case folded), as Headers.set gave it.
    expect(headers.accept).toBe("application/json, text/event-stream");
    expect(headers["mcp-protocol-version"]).toBe("2026-07-28");
    expect(headers["mcp-method"]).toBe("tools/call");
    // Nothing to end with a stateless upstream: upstream-call.ts defers no close work for it.
    const before = await stats();
    expect(conversation.close(true)).toBe(NOTHING_TO_CLOSE);
    expect((await stats()).posts - before.posts).toBe(0);
  });

  it("hands anything else to the SDK without sending the call twice", async () => {
    for (const [tool, posts] of [
      ["sse", 1],
      ["rich", 1],
      ["json_lines", 1],
      // The SDK follows a same-origin 307 itself: the redirected request is the second POST.
      ["redirect", 2],
    ] as const) {
      const before = await stats();
      const { run, handovers } = conversation();
      const result = await run(tool);
      expect(handovers, tool).toEqual([1]);
      expect(result.content, tool).toBeDefined();
      expect((await stats()).posts - before.posts, tool).toBe(posts);
    }
    const { run, handovers } = conversation();
    const invalid = await run("bad_result").catch((caught: unknown) => caught);
    expect(handovers).toEqual([1]);
    expect(invalid).toBeInstanceOf(SdkError);
  });

  it("gives up with the caller: the POST is aborted, a session upstream hears the cancellation and the session ends", async () => {
    const opened = await fetch(SESSION_URL, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
      }),
    });
    const sessionId = opened.headers.get("mcp-session-id") ?? "";
    await opened.body?.cancel();
    expect(sessionId).not.toBe("");
    const caller = new AbortController();
    const handovers: number[] = [];
    const conversation = new DirectConversation(
      { url: SESSION_URL, headers: {} },
      { era: "session", session: { sessionId, protocolVersion: "2025-06-18" }, idBase: 2 ** 20 },
      {
        signal: caller.signal,
        fetch: (input, init) => fetch(input, init),
        handover: () => {
          handovers.push(1);
          throw new Error("no hand-over expected");
        },
      },
    );
    const before = await stats();
    setTimeout(() => caller.abort(new Error("the client went away")), 100);
    const error = await conversation
      .request(
        { method: "tools/call", params: { name: "slow", arguments: {} } },
        { signal: caller.signal, timeout: 5_000 },
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SdkError);
    expect(handovers).toEqual([]);
    await conversation.close(true);
    const after = await stats();
    expect(after.cancelled - before.cancelled).toBe(1);
    expect(after.deletes - before.deletes).toBe(1);
  });
});
