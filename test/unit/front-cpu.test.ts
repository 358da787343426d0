// The front's per-request shortcuts (w8-front): the upstream fetch's trace
// context set on the request's own Headers instead of a copy (checked by the
// headers and body the upstream receives), and the verified-token cache key:
// the resource and the raw token, no digest (w9-front; the reasoning is in
// docs/architecture.md "Authentication"), distinct per token and resource.
import { describe, expect, it } from "vitest";
import { verifiedTokenKey } from "../../worker/auth/authenticator.ts";
import { tracedFetch } from "../../worker/observability/hooks.ts";
import { MetricsRecorder } from "../../worker/observability/metrics.ts";
import { beginTrace, parseTraceparent, runInScope } from "../../worker/observability/tracing.ts";
import type { MetricsStore } from "../../worker/store/metrics-store.ts";

describe("verifiedTokenKey", () => {
  const token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

  it("is distinct per token and per resource", () => {
    const key = verifiedTokenKey(token, "https://gw.example/mcp");
    expect(verifiedTokenKey(token, "https://gw.example/mcp")).toBe(key);
    expect(verifiedTokenKey(`${token}x`, "https://gw.example/mcp")).not.toBe(key);
    expect(verifiedTokenKey(token.slice(0, -1), "https://gw.example/mcp")).not.toBe(key);
    expect(verifiedTokenKey(token, "https://gw.example/demo/mcp")).not.toBe(key);
  });

  it("cannot be forged by a token that carries a resource (the resource comes first and has no space)", () => {
    // Token "b c" for resource "https://a" against token "c" for resource "https://a b": a naive
    // `${token} ${resource}` would not tell these apart; a serialized URL never holds a space.
    expect(verifiedTokenKey(`x https://gw.example/mcp`, "https://gw.example/demo/mcp")).not.toBe(
      verifiedTokenKey("x", `https://gw.example/demo/mcp https://gw.example/mcp`),
    );
    expect(new URL("https://gw.example/a b/mcp").href).not.toContain(" ");
  });
});

describe("tracedFetch", () => {
  const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  const traced = async (init: RequestInit) => {
    const trace = beginTrace(parseTraceparent(`00-${TRACE}-00f067aa0ba902b7-00`, "vendor=1"), 0, false);
    const span = trace.start("ingress", null, "server");
    const metrics = new MetricsRecorder({} as MetricsStore, { enabled: false }); // off: the store is never reached;
    const seen: RequestInit[] = [];
    const send = (async (_input: RequestInfo | URL, sent?: RequestInit) => {
      seen.push(sent ?? {});
      return new Response("{}");
    }) as typeof fetch;
    await runInScope({ waitUntil: { waitUntil: () => {} }, trace, span, metrics }, () =>
      tracedFetch(send, { tenant: "t", server: "s" })("https://upstream.example/mcp", init),
    );
    return seen[0] as RequestInit;
  };

  it("names the gateway's span on the request's own Headers (no copy) for an unrecorded trace", async () => {
    const headers = new Headers({ authorization: "Bearer upstream", traceparent: "00-caller" });
    const init = { method: "POST", headers, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' };
    const sent = await traced(init);
    expect(sent).toBe(init);
    expect(headers.get("traceparent")).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    expect(headers.get("tracestate")).toBe("vendor=1");
    expect(headers.get("authorization")).toBe("Bearer upstream");
  });

  it("copies headers given in another form, and rewrites a body's _meta.traceparent", async () => {
    const given = { "content-type": "application/json" };
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { _meta: { traceparent: "00-caller" } },
    });
    const sent = await traced({ method: "POST", headers: given, body });
    const headers = sent.headers as Headers;
    expect(headers).toBeInstanceOf(Headers);
    expect(headers.get("content-type")).toBe("application/json");
    const traceparent = headers.get("traceparent");
    expect(traceparent).toMatch(new RegExp(`^00-${TRACE}-`));
    expect(given).toEqual({ "content-type": "application/json" });
    expect(JSON.parse(String(sent.body)).params._meta.traceparent).toBe(traceparent);
  });
});
