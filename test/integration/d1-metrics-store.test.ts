// The D1 metrics store's increments on real D1: flushes write rows in
// multi-row upserts chunked under D1's 100-parameter limit, so a flush with
// more series and usage rows than one chunk holds, written twice (as two
// isolates would), must still add every value exactly.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { D1MetricsStore } from "../../worker/store/d1/d1-metrics-store.ts";
import { LATENCY_BUCKET_COUNT, type SeriesDelta, type UsageDelta } from "../../worker/store/metrics-store.ts";

const store = new D1MetricsStore(env.DB);

function seriesOf(prefix: string, count: number): SeriesDelta[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `${prefix}_total`,
    labels: `n="${index}"`,
    value: index + 1,
  }));
}

function usageOf(tenant: string, count: number): UsageDelta[] {
  return Array.from({ length: count }, (_, index) => ({
    tenant,
    minute: 1_000 + index,
    server: "demo",
    method: "tools/call",
    tool: "word_count",
    caller: "alice",
    calls: index + 1,
    errors: 1,
    denied: 0,
    rateLimited: 0,
    durationMsSum: 10 * (index + 1),
    latency: Array.from({ length: LATENCY_BUCKET_COUNT }, (_, bucket) =>
      bucket === index % LATENCY_BUCKET_COUNT ? index + 1 : 0,
    ),
  }));
}

describe("D1MetricsStore.add", () => {
  it("adds every series and usage row exactly, across several statements of one batch and across flushes", async () => {
    const prefix = `chunked_${crypto.randomUUID().replaceAll("-", "")}`;
    const tenant = `tenant-${crypto.randomUUID()}`;
    // 60 series (3 statements of at most 25 rows) and 11 usage rows (3 statements of at most 4).
    await store.add(seriesOf(prefix, 60), usageOf(tenant, 11));
    await Promise.all([store.add(seriesOf(prefix, 60), []), store.add([], usageOf(tenant, 11))]);

    const series = (await store.allSeries()).filter((row) => row.name === `${prefix}_total`);
    expect(series).toHaveLength(60);
    for (const row of series) expect(row.value).toBe(2 * (Number(/n="(\d+)"/.exec(row.labels)?.[1]) + 1));

    const usage = await store.usage({ tenant, fromMinute: 0, toMinute: 10_000 });
    expect(usage).toHaveLength(11);
    for (const [index, row] of usage.entries()) {
      expect(row.minute).toBe(1_000 + index);
      expect(row.calls).toBe(2 * (index + 1));
      expect(row.errors).toBe(2);
      expect(row.durationMsSum).toBe(20 * (index + 1));
      expect(row.latency[index % LATENCY_BUCKET_COUNT]).toBe(2 * (index + 1));
      expect(row.latency.reduce((sum, value) => sum + value, 0)).toBe(2 * (index + 1));
    }
  });

  it("adds a key named twice in one flush", async () => {
    const name = `twice_${crypto.randomUUID().replaceAll("-", "")}_total`;
    await store.add(
      [
        { name, labels: 'a="1"', value: 2 },
        { name, labels: 'a="1"', value: 3 },
      ],
      [],
    );
    const rows = (await store.allSeries()).filter((row) => row.name === name);
    expect(rows).toEqual([{ name, labels: 'a="1"', value: 5 }]);
  });
});
