// The VectorIndex contract on the local D1 index and on the Vectorize adapter
// (against a fake binding with Vectorize's recorded shapes and its delayed
// visibility), plus what only Vectorize has: limits and error mapping.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LocalVectorIndex } from "../../worker/search/local-vector-index.ts";
import { SearchBackendError } from "../../worker/search/ports.ts";
import { VectorizeVectorIndex } from "../../worker/search/vectorize-vector-index.ts";
import { describeVectorIndexContract } from "../contract/vector-index.contract.ts";
import { FakeVectorize } from "../support/fake-vectorize.ts";
import { HASH_EMBEDDING_DIMENSIONS, hashEmbedding } from "../support/hash-embedding.ts";

describeVectorIndexContract("local (D1, exact cosine)", async () => ({
  index: new LocalVectorIndex(env.DB, "test-model"),
  settle: async () => {},
}));

describeVectorIndexContract("Vectorize (fake binding)", async () => {
  const binding = new FakeVectorize(HASH_EMBEDDING_DIMENSIONS);
  return { index: new VectorizeVectorIndex(binding), settle: async () => binding.applyPending() };
});

describe("local vector index", () => {
  it("ignores vectors of another model and sees writes from another isolate's instance", async () => {
    const tenant = `tenant-${crypto.randomUUID()}`;
    const a = new LocalVectorIndex(env.DB, "model-a");
    const b = new LocalVectorIndex(env.DB, "model-b");
    await a.upsert(tenant, [{ id: "x", values: hashEmbedding("weather") }]);
    expect(await b.query(tenant, hashEmbedding("weather"), 5)).toEqual([]);
    const again = new LocalVectorIndex(env.DB, "model-a");
    expect((await again.query(tenant, hashEmbedding("weather"), 5)).map((m) => m.id)).toEqual(["x"]);
    await again.upsert(tenant, [{ id: "y", values: hashEmbedding("weather radar") }]);
    // `a` cached the tenant before; the revision counter tells it to reload.
    expect((await a.query(tenant, hashEmbedding("weather"), 5)).map((m) => m.id).sort()).toEqual(["x", "y"]);
  });

  it("refuses vectors that are not lists of finite numbers", async () => {
    const index = new LocalVectorIndex(env.DB, "model-a");
    await expect(index.upsert("t", [{ id: "bad", values: [Number.NaN] }])).rejects.toThrow(RangeError);
    await expect(index.upsert("t", [{ id: "bad", values: [] }])).rejects.toThrow(RangeError);
  });
});

describe("Vectorize adapter", () => {
  it("applies writes late: a removed vector is still returned until Vectorize catches up", async () => {
    const binding = new FakeVectorize(HASH_EMBEDDING_DIMENSIONS);
    const index = new VectorizeVectorIndex(binding);
    await index.upsert("t", [{ id: "a", values: hashEmbedding("weather") }]);
    expect(await index.query("t", hashEmbedding("weather"), 5)).toEqual([]);
    binding.applyPending();
    await index.remove("t", ["a"]);
    expect((await index.query("t", hashEmbedding("weather"), 5)).map((m) => m.id)).toEqual(["a"]);
    binding.applyPending();
    expect(await index.query("t", hashEmbedding("weather"), 5)).toEqual([]);
  });

  it("keeps topK within Vectorize's limit and batches large upserts", async () => {
    const binding = new FakeVectorize(HASH_EMBEDDING_DIMENSIONS);
    const index = new VectorizeVectorIndex(binding);
    const records = Array.from({ length: 1500 }, (_, i) => ({
      id: `v${i}`,
      values: hashEmbedding(`tool ${i}`),
    }));
    await index.upsert("t", records);
    expect(binding.pendingCount).toBe(2);
    binding.applyPending();
    expect(await index.query("t", hashEmbedding("tool 7"), 500)).toHaveLength(100);
  });

  it("wraps Vectorize errors, marking refused requests as not retryable", async () => {
    const index = new VectorizeVectorIndex({
      upsert: async () => {
        throw new Error("VECTOR_UPSERT_ERROR (code = 40006): invalid vector for id a");
      },
      deleteByIds: async () => {
        throw new Error("internal error");
      },
      query: async () => ({ matches: [], count: 0 }),
    });
    const refused = await index.upsert("t", [{ id: "a", values: [1] }]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SearchBackendError);
    expect((refused as SearchBackendError).retryable).toBe(false);
    const failed = await index.remove("t", ["a"]).catch((error: unknown) => error);
    expect((failed as SearchBackendError).retryable).toBe(true);
    await expect(index.upsert("t", [{ id: "x".repeat(65), values: [1] }])).rejects.toThrow(/64 bytes/);
  });
});
