// GET /metrics inside workerd with real D1 and a real upstream: N tool calls
// over several requests and sessions, then the exposition (parsed by a real
// Prometheus text parser) shows exactly N, with cumulative buckets.
import { exports } from "cloudflare:workers";
import parsePrometheusTextFormat, { type ParsedFamily } from "parse-prometheus-text-format";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, BASE, devAdminToken, uniquePath } from "../support/api.ts";
import { messagesOf, postMcp, rpc } from "../support/mcp-http.ts";
import { TEST_SCRAPE_TOKEN } from "../support/test-config.ts";

const { probeUrl } = inject("upstreams");
let adminToken: string;
let path: string;

beforeAll(async () => {
  adminToken = await devAdminToken();
  path = uniquePath("metrics");
  const response = await api("/api/v1/servers", {
    method: "POST",
    json: {
      name: path,
      path,
      endpoints: [{ url: `${probeUrl}/mcp` }],
      egress: { type: "bearer", secret: "PROBE_EGRESS_TOKEN" },
    },
  });
  expect(response.status, await response.clone().text()).toBe(201);
});

async function openSession(): Promise<string> {
  const init = rpc("initialize", {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "metrics-test", version: "1.0.0" },
  });
  const response = await postMcp(`${BASE}/${path}/mcp`, init, { token: adminToken });
  expect(response.status).toBe(200);
  await response.body?.cancel();
  return response.headers.get("mcp-session-id") ?? "";
}

async function callTool(session: string, id: number): Promise<void> {
  const body = rpc("tools/call", { name: "public_info", arguments: {} }, id);
  const replies = await messagesOf(
    await postMcp(`${BASE}/${path}/mcp`, body, { token: adminToken, session }),
  );
  expect(replies[0]?.result).toBeDefined();
}

function scrape(token: string): Promise<Response> {
  return exports.default.fetch(`${BASE}/metrics`, { headers: { authorization: `Bearer ${token}` } });
}

let lastExposition = "";

async function families(token = TEST_SCRAPE_TOKEN): Promise<ParsedFamily[]> {
  const response = await scrape(token);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain; version=0.0.4");
  lastExposition = await response.text();
  return parsePrometheusTextFormat(lastExposition);
}

/**
 * One labelled histogram's series from the text (the parser library folds
 * labelled histograms into one unlabelled sample, so they are read here).
 */
function histogram(text: string, name: string, labels: Record<string, string>) {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const lines = text.split("\n").filter((line) => wanted.every((pair) => line.includes(pair)));
  const valuesOf = (suffix: string) =>
    lines
      .filter((line) => line.startsWith(`${name}_${suffix}{`))
      .map((line) => Number(line.split(" ").at(-1)));
  const buckets = lines
    .filter((line) => line.startsWith(`${name}_bucket{`))
    .map((line) => {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      return [le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le), Number(line.split(" ").at(-1))] as const;
    });
  return { buckets, counts: valuesOf("count"), sums: valuesOf("sum") };
}

function samples(all: ParsedFamily[], name: string, labels: Record<string, string>) {
  const family = all.find((candidate) => candidate.name === name);
  return (family?.metrics ?? []).filter((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels?.[key] === value),
  );
}

function counter(all: ParsedFamily[], name: string, labels: Record<string, string>): number {
  return samples(all, name, labels).reduce((total, sample) => total + Number(sample.value ?? 0), 0);
}

/** Audit events (the source of MCP metrics) are recorded as response bodies end: wait for them. */
async function settledFamilies(name: string, labels: Record<string, string>, expected: number) {
  let all = await families();
  for (let attempt = 0; attempt < 50 && counter(all, name, labels) < expected; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    all = await families();
  }
  return all;
}

describe("GET /metrics", () => {
  it("counts N tool calls over several requests exactly, with a cumulative histogram of N", async () => {
    const N = 7;
    const sessions = [await openSession(), await openSession()];
    await Promise.all(
      Array.from({ length: N }, (_, index) => callTool(sessions[index % 2] ?? "", 10 + index)),
    );
    const labels = { tenant: "default", server: path, tool: "public_info" };
    const all = await settledFamilies("mcp_tool_executions_total", { ...labels, outcome: "ok" }, N);
    expect(counter(all, "mcp_tool_executions_total", { ...labels, outcome: "ok" })).toBe(N);
    expect(
      counter(all, "mcp_requests_total", { tenant: "default", server: path, method: "tools/call" }),
    ).toBe(N);

    expect(all.find((family) => family.name === "mcp_tool_execution_duration_seconds")?.type).toBe(
      "HISTOGRAM",
    );
    const { buckets, counts, sums } = histogram(
      lastExposition,
      "mcp_tool_execution_duration_seconds",
      labels,
    );
    expect(counts).toEqual([N]);
    expect(buckets.length).toBeGreaterThan(5);
    for (let index = 1; index < buckets.length; index++) {
      expect(buckets[index]?.[0]).toBeGreaterThan(buckets[index - 1]?.[0] ?? 0);
      expect(buckets[index]?.[1]).toBeGreaterThanOrEqual(buckets[index - 1]?.[1] ?? 0);
    }
    expect(buckets.at(-1)).toEqual([Number.POSITIVE_INFINITY, N]);
    expect(sums[0]).toBeGreaterThanOrEqual(0);
    // The upstream's own latency was measured for the same server (calls, plus initialize and its notification).
    const upstream = histogram(lastExposition, "mcp_upstream_duration_seconds", {
      tenant: "default",
      server: path,
    });
    expect(upstream.counts.reduce((total, count) => total + count, 0)).toBeGreaterThanOrEqual(N);

    // Another N calls add exactly N more.
    await Promise.all(Array.from({ length: N }, (_, index) => callTool(sessions[0] ?? "", 100 + index)));
    const again = await settledFamilies("mcp_tool_executions_total", { ...labels, outcome: "ok" }, 2 * N);
    expect(counter(again, "mcp_tool_executions_total", { ...labels, outcome: "ok" })).toBe(2 * N);
  });

  it("reports usage per tool from the rollups (GET /api/v1/usage)", async () => {
    const response = await api(`/api/v1/usage?window=1h&server=${path}`);
    expect(response.status, await response.clone().text()).toBe(200);
    const report = (await response.json()) as {
      totals: { calls: number; p50Ms: number | null };
      series: { calls: number }[];
      servers: { server: string; calls: number }[];
      tools: { tool: string; calls: number; errorRate: number; series: number[] }[];
      callers: { caller: string; calls: number }[];
    };
    // The previous test made 2N = 14 calls of public_info (and initialize requests besides).
    expect(report.tools).toHaveLength(1);
    expect(report.tools[0]).toMatchObject({ tool: "public_info", calls: 14, errorRate: 0 });
    expect(report.tools[0]?.series.reduce((sum, value) => sum + value, 0)).toBe(14);
    expect(report.series).toHaveLength(60);
    expect(report.series.reduce((sum, point) => sum + point.calls, 0)).toBe(report.totals.calls);
    expect(report.servers.map((entry) => entry.server)).toEqual([path]);
    expect(report.totals.p50Ms).not.toBeNull();
    expect(report.callers[0]?.calls).toBe(report.totals.calls);
    const bad = await api("/api/v1/usage?window=2y");
    expect(bad.status).toBe(400);
  });

  it("counts authentications by result and reason", async () => {
    const before = counter(await families(), "mcp_auth_requests_total", {
      success: "false",
      reason: "is_not_a_signed_jwt",
    });
    for (let index = 0; index < 3; index++) {
      const response = await exports.default.fetch(`${BASE}/api/v1/servers`, {
        headers: { authorization: "Bearer not-a-jwt" },
      });
      expect(response.status).toBe(401);
    }
    const all = await settledFamilies(
      "mcp_auth_requests_total",
      { success: "false", reason: "is_not_a_signed_jwt" },
      before + 3,
    );
    expect(counter(all, "mcp_auth_requests_total", { success: "false", reason: "is_not_a_signed_jwt" })).toBe(
      before + 3,
    );
    expect(counter(all, "mcp_auth_requests_total", { success: "true", reason: "ok" })).toBeGreaterThan(0);
  });

  it("is refused without credentials, and a principal sees only its tenant", async () => {
    const anonymous = await exports.default.fetch(`${BASE}/metrics`);
    expect(anonymous.status).toBe(401);
    const wrong = await scrape("wrong-scrape-token-0123456789abcdef");
    expect(wrong.status).toBe(401);
    const admin = await scrape(adminToken);
    expect(admin.status).toBe(200);
    const text = await admin.text();
    expect(text).not.toContain("mcp_auth_requests_total{");
    const seriesLines = text.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(seriesLines.length).toBeGreaterThan(0);
    for (const line of seriesLines) expect(line).toContain('{tenant="default"');
  });
});
