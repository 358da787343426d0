import { describe, expect, it } from "vitest";
import type { McpGuard } from "../../worker/edge/access.ts";
import { parseJsonRpcBody } from "../../worker/protocol/jsonrpc.ts";
import {
  hasReservedId,
  prepareOutgoing,
  rewriteIncoming,
  rewriteIncomingJson,
} from "../../worker/proxy/message-rewrite.ts";

// A guard that allows tools/list and calls to tools named "ok*".
const guard: McpGuard = {
  decide: (method, tool) =>
    method === "tools/list" || (method === "tools/call" && tool?.startsWith("ok"))
      ? { allow: true, reason: "granted", detail: "test" }
      : {
          allow: false,
          reason: method === "tools/call" ? "tool_not_granted" : "method_not_granted",
          detail: "test",
        },
  mayCall: (tool) => tool.startsWith("ok"),
};

const body = (messages: unknown) => parseJsonRpcBody(JSON.stringify(messages)).messages;

describe("prepareOutgoing", () => {
  it("forwards allowed requests, answers denied ones, passes notifications and responses", () => {
    const prepared = prepareOutgoing(
      body([
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ok_tool" } },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "bad_tool" } },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: "s1", result: {} },
        { jsonrpc: "2.0", id: 3, method: "resources/read", params: { uri: "x" } },
      ]),
      guard,
    );
    expect(prepared.forward.map((m) => ("id" in m ? m.id : "note"))).toEqual([1, "note", "s1"]);
    expect(prepared.refusals).toEqual([
      {
        jsonrpc: "2.0",
        id: 2,
        error: {
          code: -32003,
          message: "Access denied (tool_not_granted)",
          data: { reason: "tool_not_granted" },
        },
      },
      {
        jsonrpc: "2.0",
        id: 3,
        error: {
          code: -32003,
          message: "Access denied (method_not_granted)",
          data: { reason: "method_not_granted" },
        },
      },
    ]);
    expect(prepared.verdicts.map((v) => v.decision?.allow ?? null)).toEqual([true, false, null, null, false]);
  });

  it("marks tools/list ids so the answer can be filtered wherever it arrives", () => {
    const prepared = prepareOutgoing(body({ jsonrpc: "2.0", id: 9, method: "tools/list" }), guard);
    const forwarded = prepared.forward[0] as { id: string };
    expect(forwarded.id).toBe("gw:tl:9");
    const answer = {
      jsonrpc: "2.0",
      id: forwarded.id,
      result: { tools: [{ name: "ok_a" }, { name: "bad" }, { name: "ok_b" }], nextCursor: "c" },
    };
    expect(rewriteIncoming(answer, guard)).toEqual({
      jsonrpc: "2.0",
      id: 9,
      result: { tools: [{ name: "ok_a" }, { name: "ok_b" }], nextCursor: "c" },
    });
  });

  it("keeps string ids exact through the marker", () => {
    const prepared = prepareOutgoing(body({ jsonrpc: "2.0", id: "a:b:c", method: "tools/list" }), guard);
    const id = (prepared.forward[0] as { id: string }).id;
    expect(rewriteIncoming({ jsonrpc: "2.0", id, result: { tools: [] } }, guard)).toMatchObject({
      id: "a:b:c",
    });
  });

  it("substitutes a marked ping for a denied request when asked (legacy SSE)", () => {
    const prepared = prepareOutgoing(
      body({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "bad" } }),
      guard,
      { substituteDenied: true },
    );
    expect(prepared.refusals).toEqual([]);
    const ping = prepared.forward[0] as { id: string; method: string };
    expect(ping.method).toBe("ping");
    expect(rewriteIncoming({ jsonrpc: "2.0", id: ping.id, result: {} }, guard)).toEqual({
      jsonrpc: "2.0",
      id: 4,
      error: {
        code: -32003,
        message: "Access denied (tool_not_granted)",
        data: { reason: "tool_not_granted" },
      },
    });
  });
});

describe("rewriteIncoming", () => {
  it("leaves unrelated messages untouched (same object)", () => {
    const messages = [
      { jsonrpc: "2.0", id: 1, result: { tools: [{ name: "bad" }] } },
      { jsonrpc: "2.0", method: "notifications/progress", params: {} },
      { jsonrpc: "2.0", id: "gw:tl:1", method: "sampling/createMessage", params: {} },
      "not an object",
    ];
    for (const message of messages) expect(rewriteIncoming(message, guard)).toBe(message);
    expect(rewriteIncomingJson(messages, guard)).toEqual(messages);
  });

  it("tolerates malformed marked ids and results", () => {
    const odd = { jsonrpc: "2.0", id: "gw:tl:{broken", result: {} };
    expect(rewriteIncoming(odd, guard)).toBe(odd);
    expect(rewriteIncoming({ jsonrpc: "2.0", id: "gw:tl:1", result: { tools: "nope" } }, guard)).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { tools: "nope" },
    });
  });
});

describe("hasReservedId", () => {
  it("finds client ids in the gateway's marker space", () => {
    expect(hasReservedId(body({ jsonrpc: "2.0", id: "gw:x", method: "ping" }))).toBe("gw:x");
    expect(hasReservedId(body({ jsonrpc: "2.0", id: "gateway", method: "ping" }))).toBeNull();
  });
});
