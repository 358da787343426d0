import { describe, expect, it } from "vitest";
import { ErrorCode, JsonRpcParseError, parseJsonRpcBody } from "../../worker/protocol/jsonrpc.ts";

function parseError(text: string): JsonRpcParseError {
  try {
    parseJsonRpcBody(text);
  } catch (error) {
    if (error instanceof JsonRpcParseError) return error;
    throw error;
  }
  throw new Error("expected a parse error");
}

describe("parseJsonRpcBody", () => {
  it("classifies a tools/call request with its tool name", () => {
    const body = parseJsonRpcBody(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "echo", arguments: {} },
      }),
    );
    expect(body.batch).toBe(false);
    expect(body.messages).toEqual([
      expect.objectContaining({ type: "request", method: "tools/call", target: "echo" }),
    ]);
  });

  it("classifies resources/read by URI, notifications and responses", () => {
    const body = parseJsonRpcBody(
      JSON.stringify([
        { jsonrpc: "2.0", id: "a", method: "resources/read", params: { uri: "file:///x" } },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 3, result: {} },
      ]),
    );
    expect(body.batch).toBe(true);
    expect(body.messages.map((m) => m.type)).toEqual(["request", "notification", "response"]);
    expect(body.messages[0]).toMatchObject({ target: "file:///x" });
  });

  it.each([
    ["{not json", ErrorCode.ParseError],
    ["[]", ErrorCode.InvalidRequest],
    ["42", ErrorCode.InvalidRequest],
    ['{"jsonrpc":"1.0","id":1,"method":"x"}', ErrorCode.InvalidRequest],
    ['{"jsonrpc":"2.0","id":{"a":1},"method":"x"}', ErrorCode.InvalidRequest],
    ['{"jsonrpc":"2.0","id":1,"method":"x","params":5}', ErrorCode.InvalidRequest],
    ['{"jsonrpc":"2.0","id":1}', ErrorCode.InvalidRequest],
    ['{"jsonrpc":"2.0","id":1,"method":""}', ErrorCode.InvalidRequest],
  ])("rejects %s with code %i", (text, code) => {
    expect(parseError(text).code).toBe(code);
  });

  it("keeps the id of an invalid message when it can be read", () => {
    expect(parseError('{"jsonrpc":"2.0","id":9,"method":"x","params":"p"}').id).toBe(9);
  });

  it("refuses oversized batches", () => {
    const batch = Array.from({ length: 101 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "ping" }));
    expect(parseError(JSON.stringify(batch)).code).toBe(ErrorCode.InvalidRequest);
  });
});
