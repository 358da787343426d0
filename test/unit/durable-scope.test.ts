// The request scope a Durable Object opens for a call from the Worker
// (observability/durable-scope.ts): it continues the carried trace, keeps the
// object's spans under one span of its own, and exports them only once the
// answer's body has been sent (a streamed answer's upstream calls come later).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { afterBody } from "../../worker/aggregated/gateway-exchange.ts";
import type { WaitUntil } from "../../worker/observability/audit.ts";
import { type DurableScopeDeps, serveInDurableScope } from "../../worker/observability/durable-scope.ts";
import { MetricsRecorder } from "../../worker/observability/metrics.ts";
import { TraceExporter } from "../../worker/observability/otlp-export.ts";
import { type CarriedTrace, carryTrace, currentScope, withSpan } from "../../worker/observability/tracing.ts";
import { D1MetricsStore } from "../../worker/store/d1/d1-metrics-store.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const WORKER_SPAN = "00f067aa0ba902b7";

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

function harness(endpoint: string | null) {
  const exported: ExportedSpan[] = [];
  const pending: Promise<unknown>[] = [];
  const waitUntil: WaitUntil = { waitUntil: (promise) => pending.push(promise) };
  const tracer = new TraceExporter(
    { endpoint, headers: {}, sampleRatio: 1, serviceName: "test" },
    async (_url, init) => {
      const body = JSON.parse(String(init?.body)) as {
        resourceSpans: { scopeSpans: { spans: ExportedSpan[] }[] }[];
      };
      for (const resource of body.resourceSpans)
        for (const scope of resource.scopeSpans) exported.push(...scope.spans);
      return new Response("{}");
    },
    0,
  );
  const deps: DurableScopeDeps = {
    tracer,
    metrics: new MetricsRecorder(new D1MetricsStore(env.DB), { enabled: false }),
    tracing: { endpoint, headers: {}, sampleRatio: 1, serviceName: "test" },
    waitUntil,
    afterBody,
  };
  const settle = async () => {
    while (pending.length > 0) await Promise.all(pending.splice(0));
  };
  return { deps, exported, settle };
}

const carried = (flags: "01" | "00"): CarriedTrace => ({
  traceparent: `00-${TRACE}-${WORKER_SPAN}-${flags}`,
  tracestate: "vendor=1",
});

describe("serveInDurableScope", () => {
  it("continues the carried trace and exports the object's spans after the streamed body", async () => {
    const { deps, exported, settle } = harness("http://collector.test/v1/traces");
    let upstreamTraceparent: string | null = null;
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    const response = await serveInDurableScope(deps, carried("01"), "McpSession.handle", async () => {
      await withSpan("policy", {}, async () => {});
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          stream = controller;
        },
      });
      // Like an SSE answer: the upstream call happens after the Response was returned.
      const scope = currentScope();
      setTimeout(() => {
        void withSpan("upstream call", {}, async () => {
          upstreamTraceparent = carryTrace()?.traceparent ?? null;
        }).then(() => {
          stream?.enqueue(new TextEncoder().encode("data: done\n\n"));
          stream?.close();
        });
      }, 5);
      expect(scope?.trace?.traceId).toBe(TRACE);
      return new Response(body, { status: 200, headers: { "content-type": "text/event-stream" } });
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    await settle();
    expect(exported).toEqual([]); // the body has not ended: nothing exported yet

    expect(await response.text()).toBe("data: done\n\n");
    await settle();
    const byName = new Map(exported.map((span) => [span.name, span]));
    const session = byName.get("McpSession.handle");
    expect(session?.traceId).toBe(TRACE);
    expect(session?.parentSpanId).toBe(WORKER_SPAN);
    expect(byName.get("policy")?.parentSpanId).toBe(session?.spanId);
    const call = byName.get("upstream call");
    expect(call?.parentSpanId).toBe(session?.spanId);
    expect(upstreamTraceparent).toBe(`00-${TRACE}-${call?.spanId}-01`);
  });

  it("records nothing for an unsampled trace, but still propagates its trace id", async () => {
    const { deps, exported, settle } = harness("http://collector.test/v1/traces");
    let seen = null as CarriedTrace | null;
    const original = new Response("ok");
    const response = await serveInDurableScope(deps, carried("00"), "McpSession.handle", async () => {
      seen = carryTrace();
      return original;
    });
    expect(response).toBe(original); // not followed: nothing to export
    await response.text();
    await settle();
    expect(exported).toEqual([]);
    expect(seen?.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
  });

  it("starts a trace of its own when nothing was carried, and ends its span when the work throws", async () => {
    const { deps, exported, settle } = harness("http://collector.test/v1/traces");
    await expect(
      serveInDurableScope(deps, null, "McpSession.end", async () => {
        throw new TypeError("storage failed");
      }),
    ).rejects.toThrow("storage failed");
    await settle();
    expect(exported).toHaveLength(1);
    expect(exported[0]?.name).toBe("McpSession.end");
    expect(exported[0]?.parentSpanId).toBeUndefined();
    expect(exported[0]?.traceId).not.toBe(TRACE);
  });
});
