// Pure parts of the resilience work: catalog diffs, health summaries, rate-limit
// settings, tenant budget shares and the IETF draft headers.
import { describe, expect, it } from "vitest";
import { isIdempotentMethod } from "../../worker/protocol/methods.ts";
import { diffCatalog } from "../../worker/resilience/catalog-diff.ts";
import { rateLimitHeaders, shareOf } from "../../worker/resilience/rate-limit.ts";
import { RateLimitSetting } from "../../worker/resilience/settings.ts";
import type { CatalogEntry } from "../../worker/store/registry-store.ts";
import { summarizeChecks } from "../../worker/upstream/health-probe.ts";

const tool = (key: string, fingerprint: string): CatalogEntry => ({
  kind: "tool",
  key,
  definition: { name: key },
  fingerprint,
});

describe("diffCatalog", () => {
  it("reports added, removed and changed entries by fingerprint, in a stable order", () => {
    const before = [tool("keep", "k1"), tool("edit", "e1"), tool("gone", "g1")];
    const after = [tool("edit", "e2"), tool("keep", "k1"), tool("new", "n1")];
    expect(diffCatalog(before, after)).toEqual([
      { kind: "tool", key: "edit", change: "changed", before: "e1", after: "e2" },
      { kind: "tool", key: "gone", change: "removed", before: "g1" },
      { kind: "tool", key: "new", change: "added", after: "n1" },
    ]);
    expect(diffCatalog(before, before)).toEqual([]);
  });

  it("tells kinds apart (a prompt and a tool may share a name)", () => {
    const prompt: CatalogEntry = { kind: "prompt", key: "same", definition: {}, fingerprint: "p" };
    expect(diffCatalog([tool("same", "t")], [prompt]).map((c) => c.change)).toEqual(["added", "removed"]);
  });
});

describe("summarizeChecks", () => {
  const up = (url: string, latencyMs: number) => ({ url, ok: true, latencyMs, error: null });
  const down = (url: string) => ({ url, ok: false, latencyMs: null, error: "connection failed" });

  it("is unknown without checks, healthy when all answer fast, unhealthy when none answer", () => {
    expect(summarizeChecks([], 100).status).toBe("unknown");
    expect(summarizeChecks([up("a", 10), up("b", 30)], 100)).toEqual({
      status: "healthy",
      latencyMs: 10,
      error: null,
    });
    expect(summarizeChecks([down("a"), down("b")], 100)).toMatchObject({
      status: "unhealthy",
      latencyMs: null,
    });
  });

  it("is degraded when some replicas fail or answers are slow", () => {
    const partial = summarizeChecks([up("a", 10), down("b")], 100);
    expect(partial).toMatchObject({ status: "degraded", latencyMs: 10 });
    expect(partial.error).toContain("b: connection failed");
    expect(summarizeChecks([up("a", 500)], 100)).toMatchObject({ status: "degraded", latencyMs: 500 });
  });
});

describe("RateLimitSetting", () => {
  it.each([
    [undefined, null],
    ["", null],
    ["off", null],
    ["600/60s", { requests: 600, windowSeconds: 60 }],
    ["100/1m", { requests: 100, windowSeconds: 60 }],
    ["5000/1h", { requests: 5000, windowSeconds: 3600 }],
  ])("parses %j", (input, expected) => {
    expect(RateLimitSetting.parse(input)).toEqual(expected);
  });

  it.each(["600", "0/60s", "10/0s", "10/25h", "ten/60s"])("refuses %j with a hint", (input) => {
    const result = RateLimitSetting.safeParse(input);
    expect(result.success).toBe(false);
  });
});

describe("tenant budget shares", () => {
  it("split the limit exactly over the shards", () => {
    for (const [requests, shards] of [
      [50, 1],
      [50, 4],
      [7, 3],
      [2, 4],
    ] as const) {
      const parts = Array.from({ length: shards }, (_, shard) =>
        shareOf({ requests, windowSeconds: 60 }, shard, shards),
      );
      expect(parts.reduce((sum, part) => sum + part.requests, 0)).toBe(requests);
      const sizes = parts.map((part) => part.requests);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe("rateLimitHeaders (draft-ietf-httpapi-ratelimit-headers)", () => {
  const resetAt = Date.now() + 30_000;
  it("lists every policy and reports the tightest limit", () => {
    const headers = rateLimitHeaders({
      allowed: true,
      limits: [
        { scope: "identity", rule: { requests: 600, windowSeconds: 60 }, remaining: 500, resetAt },
        { scope: "identity-server", rule: { requests: 50, windowSeconds: 60 }, remaining: 3, resetAt },
      ],
    });
    expect(headers["ratelimit-policy"]).toBe('"identity";q=600;w=60, "identity-server";q=50;w=60');
    expect(headers.ratelimit).toMatch(/^"identity-server";r=3;t=(29|30)$/);
    expect(headers["retry-after"]).toBeUndefined();
  });

  it("adds Retry-After on a refusal and names the exhausted limit", () => {
    const headers = rateLimitHeaders({
      allowed: false,
      scope: "tenant",
      retryAfterMs: 12_300,
      limits: [
        { scope: "identity", rule: { requests: 600, windowSeconds: 60 }, remaining: 500, resetAt },
        { scope: "tenant", rule: { requests: 50, windowSeconds: 60 }, remaining: 0, resetAt },
      ],
    });
    expect(headers.ratelimit).toMatch(/^"tenant";r=0;t=/);
    expect(headers["retry-after"]).toBe("13");
  });

  it("sends nothing when no limit applies", () => {
    expect(rateLimitHeaders({ allowed: true, limits: [] })).toEqual({});
  });
});

describe("isIdempotentMethod", () => {
  it("allows re-sending reads but never tools/call", () => {
    expect(isIdempotentMethod("tools/list")).toBe(true);
    expect(isIdempotentMethod(["ping", "notifications/initialized"])).toBe(true);
    expect(isIdempotentMethod("tools/call")).toBe(false);
    expect(isIdempotentMethod(["tools/list", "tools/call"])).toBe(false);
    expect(isIdempotentMethod(undefined)).toBe(false);
  });
});
