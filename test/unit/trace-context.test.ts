// W3C traceparent parsing and the `_meta` rewrite (pure functions).
import { describe, expect, it } from "vitest";
import {
  formatTraceparent,
  parseTraceparent,
  rewriteMetaTraceparent,
} from "../../worker/observability/tracing.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

describe("parseTraceparent", () => {
  it("reads version 00 and the sampled flag", () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`, "vendor=1")).toEqual({
      traceId: TRACE,
      parentSpanId: SPAN,
      sampled: true,
      tracestate: "vendor=1",
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
  });

  it("refuses invalid values (all-zero ids, version ff, extra fields on 00, upper case)", () => {
    for (const value of [
      `00-${"0".repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${"0".repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      "garbage",
    ]) {
      expect(parseTraceparent(value)).toBeNull();
    }
    // A later version may append fields; its first four are read.
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-more`)?.traceId).toBe(TRACE);
  });

  it("formats what it parses", () => {
    expect(formatTraceparent(TRACE, SPAN, true)).toBe(`00-${TRACE}-${SPAN}-01`);
  });
});

describe("rewriteMetaTraceparent", () => {
  it("replaces the caller's _meta.traceparent in every message and leaves other bodies alone", () => {
    const ours = formatTraceparent(TRACE, "1111111111111111", true);
    const body = JSON.stringify([
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x", _meta: { traceparent: "old" } } },
      { jsonrpc: "2.0", id: 2, method: "ping" },
    ]);
    const rewritten = JSON.parse(rewriteMetaTraceparent(body, ours, "a=b"));
    expect(rewritten[0].params._meta).toEqual({ traceparent: ours, tracestate: "a=b" });
    expect(rewritten[1]).toEqual({ jsonrpc: "2.0", id: 2, method: "ping" });
    const plain = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    expect(rewriteMetaTraceparent(plain, ours, null)).toBe(plain);
  });
});
