// The per-request side of metrics and tracing: MCP events summed per isolate
// and rendered only at flush (exact counts, cumulative-ready buckets, usage
// rows), and the sampling decision (parent-based ratio) deciding whether
// internal spans exist at all.
import { describe, expect, it } from "vitest";
import type { WaitUntil } from "../../worker/observability/audit.ts";
import { MetricsRecorder } from "../../worker/observability/metrics.ts";
import { beginTrace, parseTraceparent, runInScope, withSpan } from "../../worker/observability/tracing.ts";
import type { AuditEvent } from "../../worker/store/audit-log.ts";
import type { MetricsStore, SeriesDelta, UsageDelta } from "../../worker/store/metrics-store.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

function recordingStore() {
  const writes: { series: SeriesDelta[]; usage: UsageDelta[] }[] = [];
  const store: MetricsStore = {
    add: async (series, usage) => {
      writes.push({ series, usage });
    },
    allSeries: async () => [],
    usage: async () => [],
    purge: async () => ({ series: 0, usage: 0 }),
  };
  return { store, writes };
}

function event(id: number, fields: Partial<AuditEvent>): AuditEvent {
  return {
    id: `e${id}`,
    occurredAt: "2026-12-06T05:00:30.000Z",
    tenant: "default",
    requestId: `r${id}`,
    category: "mcp",
    subject: "alice",
    issuer: "https://issuer",
    serverId: "s1",
    serverPath: "demo",
    method: "tools/call",
    tool: "word_count",
    decision: "allow",
    reason: null,
    outcome: "ok",
    upstreamStatus: 200,
    durationMs: 7,
    detail: null,
    ...fields,
  };
}

describe("MetricsRecorder", () => {
  it("sums events in isolate memory and writes each series and usage row once per flush", async () => {
    const { store, writes } = recordingStore();
    const waited: Promise<unknown>[] = [];
    const waitUntil: WaitUntil = { waitUntil: (promise) => void waited.push(promise) };
    const metrics = new MetricsRecorder(store, { enabled: true, flushDelayMs: 60_000 });
    for (let id = 0; id < 5; id++) metrics.recordAudit(waitUntil, [event(id, {})]);
    metrics.recordAudit(waitUntil, [event(5, { outcome: "error", durationMs: 300 })]);
    metrics.recordAudit(waitUntil, [event(6, { method: "tools/list", tool: null })]);
    expect(writes).toHaveLength(0); // nothing stored on the request path
    await metrics.flush();
    expect(writes).toHaveLength(1);
    const values = new Map(writes[0]?.series.map((delta) => [`${delta.name}{${delta.labels}}`, delta.value]));
    const calls = 'tenant="default",server="demo",method="tools/call"';
    expect(values.get(`mcp_requests_total{${calls},outcome="ok"}`)).toBe(5);
    expect(values.get(`mcp_requests_total{${calls},outcome="error"}`)).toBe(1);
    expect(values.get(`mcp_request_errors_total{${calls},outcome="error"}`)).toBe(1);
    expect(values.get(`mcp_protocol_latency_seconds_bucket{${calls},le="0.01"}`)).toBe(5);
    expect(values.get(`mcp_protocol_latency_seconds_bucket{${calls},le="0.5"}`)).toBe(1);
    expect(values.get(`mcp_protocol_latency_seconds_sum{${calls}}`)).toBeCloseTo(0.335);
    const tool = 'tenant="default",server="demo",tool="word_count"';
    expect(values.get(`mcp_tool_executions_total{${tool},outcome="ok"}`)).toBe(5);
    expect(values.get(`mcp_tool_execution_duration_seconds_bucket{${tool},le="0.01"}`)).toBe(5);
    expect(
      [...values.keys()].filter((key) => key.includes('tool="word_count"') && key.includes("tools/list")),
    ).toEqual([]);
    // One usage row per tool (outcomes summed into it), the tools/list row without a tool.
    const usage = writes[0]?.usage ?? [];
    expect(usage).toHaveLength(2);
    const row = usage.find((candidate) => candidate.tool === "word_count");
    expect(row).toMatchObject({
      calls: 6,
      errors: 1,
      minute: Math.floor(Date.parse("2026-12-06T05:00:30Z") / 60_000),
    });
    expect(row?.latency.reduce((sum, count) => sum + count, 0)).toBe(6);
    // A second flush without new events writes nothing; new events start from zero.
    await metrics.flush();
    expect(writes).toHaveLength(1);
    metrics.recordAudit(waitUntil, [event(7, {})]);
    await metrics.flush();
    const again = writes[1]?.series.find((delta) => delta.name === "mcp_requests_total");
    expect(again?.value).toBe(1);
  });
});

describe("sampling", () => {
  const run = (traceparent: string | null, ratio: number) => {
    const trace = beginTrace(parseTraceparent(traceparent), ratio, true);
    const span = trace.start("ingress", null, "server");
    const metrics = new MetricsRecorder(recordingStore().store, { enabled: false });
    return runInScope({ waitUntil: { waitUntil: () => {} }, trace, span, metrics }, () =>
      withSpan("authenticate", {}, async (inner) => ({ inner, trace })),
    );
  };

  it("records a caller's sampled trace and no span of its unsampled one, whatever the ratio", async () => {
    const sampled = await run(`00-${TRACE}-${SPAN}-01`, 0);
    expect(sampled.inner).not.toBeNull();
    expect(sampled.trace.finished.map((span) => span.name)).toEqual(["authenticate"]);
    const unsampled = await run(`00-${TRACE}-${SPAN}-00`, 1);
    expect(unsampled.inner).toBeNull();
    expect(unsampled.trace.finished).toEqual([]);
  });

  it("samples the traces it starts at the ratio (0: none, 1: all)", async () => {
    expect((await run(null, 0)).inner).toBeNull();
    expect((await run(null, 1)).inner).not.toBeNull();
  });
});
