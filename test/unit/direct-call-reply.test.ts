// aggregated/direct-call.ts: the one-pass reply of a plain tools/call result
// (plainReply) is exactly what the general way (generalReply: protocol fields
// out, hints kept, the SDK encode seam's stamps) makes of it, key order
// included, or null; the general way then decides.
import { describe, expect, it } from "vitest";
import { generalReply, plainReply } from "../../worker/aggregated/direct-call.ts";

const SERVER_INFO = "io.modelcontextprotocol/serverInfo";
const text = (value: string) => ({ type: "text", text: value });

const SHAPES: Record<string, Record<string, unknown>> = {
  "text only": { content: [text("3")] },
  "2026 upstream stamps": {
    content: [text("3")],
    resultType: "complete",
    _meta: { [SERVER_INFO]: { name: "demo", version: "1" } },
  },
  "own _meta kept, protocol keys dropped": {
    _meta: { trace: "x", [SERVER_INFO]: { name: "demo" } },
    content: [text("a"), text("b")],
    isError: true,
  },
  "empty _meta": { content: [], _meta: {} },
  "no content": { structuredContent: { n: 1 }, resultType: "complete" },
  "invalid hints stripped": { content: [text("x")], ttlMs: 0, cacheScope: "private" },
  "cacheScope alone": { content: [text("x")], cacheScope: "public" },
  "valid hints kept": { content: [text("x")], ttlMs: 1000, cacheScope: "public" },
  "image block": { content: [{ type: "image", data: "AA==", mimeType: "image/png" }] },
  "text block with annotations": { content: [{ type: "text", text: "x", annotations: {} }] },
  "extra key": { content: [text("x")], other: 1 },
  "string isError": { content: [text("x")], isError: "yes" },
  "array _meta": { content: [text("x")], _meta: ["a"] },
  "null _meta": { content: [text("x")], _meta: null },
};

describe("plainReply", () => {
  for (const [name, result] of Object.entries(SHAPES)) {
    it(`answers "${name}" as the general way does, or leaves it to it`, () => {
      const plain = plainReply(structuredClone(result));
      const general = generalReply(structuredClone(result));
      if (plain !== null) expect(JSON.stringify(plain)).toBe(JSON.stringify(general));
    });
  }

  it("answers the steady shapes itself and leaves hints and non-text content to the general way", () => {
    expect(plainReply(SHAPES["2026 upstream stamps"] as Record<string, unknown>)).toEqual({
      content: [text("3")],
      resultType: "complete",
      _meta: { [SERVER_INFO]: { name: "mcp-gateway", title: "MCP Gateway", version: "0.1.0" } },
    });
    expect(
      plainReply(SHAPES["own _meta kept, protocol keys dropped"] as Record<string, unknown>),
    ).not.toBeNull();
    expect(plainReply(SHAPES["valid hints kept"] as Record<string, unknown>)).toBeNull();
    expect(plainReply(SHAPES["image block"] as Record<string, unknown>)).toBeNull();
    expect(generalReply(SHAPES["valid hints kept"] as Record<string, unknown>)).toBeNull();
  });
});
