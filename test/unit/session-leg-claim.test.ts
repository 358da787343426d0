// The session leg's shortcut past the SDK's request classifier
// (aggregated/session-call.ts `isPlainSessionRequest`): whenever it says
// "session leg", the SDK's own classifier (`isLegacyRequest`, through
// McpRequest.generation) says so too; it says so for a session client's
// ordinary requests, and leaves everything unusual to the classifier.
import { describe, expect, it } from "vitest";
import { isPlainSessionRequest } from "../../worker/aggregated/session-call.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { type EdgeDeps, McpRequest } from "../../worker/edge/ingress.ts";

const SESSION = "a".repeat(64);
const caller: Principal = {
  subject: "s",
  issuer: "i",
  tenant: "default",
  groups: [],
  scopes: [],
  kind: "user",
};
// Only what McpRequest reads when it is made (the audit sink) and the classifier's body limit.
const deps = {
  services: { auditor: { record() {} } },
  config: { maxBodyBytes: 1_000_000 },
  env: {},
  waitUntil: { waitUntil() {} },
} as unknown as EdgeDeps;

async function read(body: unknown, headers: Record<string, string | null> = {}) {
  const all: Record<string, string | null> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-session-id": SESSION,
    "mcp-protocol-version": "2025-06-18",
    ...headers,
  };
  // A header given as null is left out.
  const sent = Object.fromEntries(Object.entries(all).filter(([, value]) => value !== null)) as Record<
    string,
    string
  >;
  return McpRequest.read(
    new Request("https://gw.example/mcp", { method: "POST", headers: sent, body: JSON.stringify(body) }),
    { principal: caller, requestId: "r", deps, keepRequest: true },
  );
}

const call = (params: unknown, id: unknown = 1) => ({ jsonrpc: "2.0", id, method: "tools/call", params });
const META = "io.modelcontextprotocol/protocolVersion";
const NO_VERSION = { "mcp-protocol-version": null };

const cases: [string, unknown, Record<string, string | null>?][] = [
  ["a plain call", call({ name: "demo__word_count", arguments: { text: "a" } })],
  ["a call with a progress token", call({ name: "t", arguments: {}, _meta: { progressToken: "p" } })],
  ["tools/list without params", { jsonrpc: "2.0", id: "x", method: "tools/list" }],
  ["a 2025-11-25 session", call({ name: "t" }), { "mcp-protocol-version": "2025-11-25" }],
  ["initialize", { jsonrpc: "2.0", id: 1, method: "initialize", params: {} }],
  ["a notification", { jsonrpc: "2.0", method: "notifications/initialized" }],
  ["a response", { jsonrpc: "2.0", id: "gw-1", result: {} }],
  ["a batch", [call({ name: "t" })]],
  ["an envelope claim", call({ name: "t", _meta: { [META]: "2026-07-28" } })],
  ["an envelope claim that is not a string", call({ name: "t", _meta: { [META]: 1 } })],
  ["another _meta key", call({ name: "t", _meta: { other: true } })],
  ["a progress token of the wrong type", call({ name: "t", _meta: { progressToken: {} } })],
  ["a fractional id", call({ name: "t" }, 1.5)],
  ["params that are not an object", call(["t"])],
  ["a 2026-07-28 header", call({ name: "t" }), { "mcp-protocol-version": "2026-07-28" }],
  ["no version header", call({ name: "t" }), { "mcp-protocol-version": null }],
  ["no session", call({ name: "t" }), { "mcp-session-id": null }],
  // Without a version header (a client that leaves it out after initialize: the bench's, curl).
  ["no header, a plain call", call({ name: "demo__word_count", arguments: { text: "a" } }), NO_VERSION],
  ["no header, a progress token", call({ name: "t", _meta: { progressToken: 7 } }), NO_VERSION],
  ["no header, an Mcp-Method header", call({ name: "t" }), { ...NO_VERSION, "mcp-method": "tools/list" }],
  ["no header, an envelope claim", call({ name: "t", _meta: { [META]: "2026-07-28" } }), NO_VERSION],
  ["no header, a malformed claim", call({ name: "t", _meta: { [META]: 1 } }), NO_VERSION],
  ["no header, initialize", { jsonrpc: "2.0", id: 1, method: "initialize", params: {} }, NO_VERSION],
  ["no header, a notification", { jsonrpc: "2.0", method: "notifications/cancelled" }, NO_VERSION],
  ["no header, a response", { jsonrpc: "2.0", id: 3, result: {} }, NO_VERSION],
  ["no header, a batch", [call({ name: "t" })], NO_VERSION],
  // Malformed: the ingress refuses some (bodyError), the SDK's schemas others; never the shortcut's.
  ["no header, a fractional progress token", call({ name: "t", _meta: { progressToken: 1.5 } }), NO_VERSION],
  ["a fractional progress token", call({ name: "t", _meta: { progressToken: 1.5 } })],
  ["no header, a huge id", call({ name: "t" }, 1e21), NO_VERSION],
  ["no header, a null id", call({ name: "t" }, null), NO_VERSION],
  ["no header, null params", call(null), NO_VERSION],
  ["no header, array params", call(["t"]), NO_VERSION],
  ["no header, _meta not an object", call({ name: "t", _meta: "x" }), NO_VERSION],
  ["no header, jsonrpc 1.0", { jsonrpc: "1.0", id: 1, method: "tools/call", params: {} }, NO_VERSION],
  ["no header, a method that is not a string", { jsonrpc: "2.0", id: 1, method: 5 }, NO_VERSION],
  ["no header, a request that carries a result", { ...call({ name: "t" }), result: {} }, NO_VERSION],
  ["no header, an unknown member", { ...call({ name: "t" }), extra: 1 }, NO_VERSION],
  ["an unknown member", { ...call({ name: "t" }), extra: 1 }],
  ["no header, a huge progress token", call({ name: "t", _meta: { progressToken: 2 ** 53 } }), NO_VERSION],
  ["no header, a string id", call({ name: "t" }, "req-1"), NO_VERSION],
  ["no header, an empty batch", [], NO_VERSION],
  ["no header, not an object", "tools/call", NO_VERSION],
];

describe("isPlainSessionRequest", () => {
  it.each(cases)("agrees with the SDK's classifier: %s", async (_label, body, headers = {}) => {
    const request = await read(body, headers);
    if (isPlainSessionRequest(request)) expect(await request.generation()).toBe("session");
  });

  it("takes a session client's ordinary requests and leaves the rest to the classifier", async () => {
    const taken: string[] = [];
    for (const [label, body, headers = {}] of cases) {
      if (isPlainSessionRequest(await read(body, headers))) taken.push(label);
    }
    expect(taken).toEqual([
      "a plain call",
      "a call with a progress token",
      "tools/list without params",
      "a 2025-11-25 session",
      "no version header",
      "no header, a plain call",
      "no header, a progress token",
      "no header, an Mcp-Method header",
      "no header, a string id",
    ]);
  });
});
