// The behaviour every VectorIndex adapter must have. `settle` makes pending
// writes visible: a no-op for indexes that apply writes at once, the
// mutation queue for Vectorize (which applies them seconds later).
import { beforeEach, describe, expect, it } from "vitest";
import type { VectorIndex } from "../../worker/search/ports.ts";
import { hashEmbedding } from "../support/hash-embedding.ts";

export interface VectorIndexUnderTest {
  index: VectorIndex;
  settle(): Promise<void>;
}

export function describeVectorIndexContract(adapter: string, make: () => Promise<VectorIndexUnderTest>) {
  describe(`VectorIndex contract: ${adapter}`, () => {
    let subject: VectorIndexUnderTest;
    let tenant: string;
    const texts = {
      forecast: "weather forecast for a city",
      alerts: "severe weather alerts",
      pdf: "convert a word document to pdf",
      issue: "open an issue in a repository",
    };
    const records = Object.entries(texts).map(([id, text]) => ({ id, values: hashEmbedding(text) }));

    beforeEach(async () => {
      subject = await make();
      tenant = `tenant-${crypto.randomUUID()}`;
      await subject.index.upsert(tenant, records);
      await subject.settle();
    });

    it("returns the nearest vectors first, with cosine scores", async () => {
      const matches = await subject.index.query(tenant, hashEmbedding("weather forecast for a city"), 4);
      expect(matches[0]?.id).toBe("forecast");
      expect(matches[0]?.score).toBeCloseTo(1, 5);
      expect(matches[1]?.id).toBe("alerts");
      const scores = matches.map((match) => match.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      expect(scores.every((score) => score >= -1 - 1e-6 && score <= 1 + 1e-6)).toBe(true);
    });

    it("honours topK", async () => {
      expect(await subject.index.query(tenant, hashEmbedding("weather"), 2)).toHaveLength(2);
      expect(await subject.index.query(tenant, hashEmbedding("weather"), 50)).toHaveLength(4);
    });

    it("replaces a vector upserted again under the same id", async () => {
      await subject.index.upsert(tenant, [{ id: "pdf", values: hashEmbedding("severe weather alerts") }]);
      await subject.settle();
      const matches = await subject.index.query(tenant, hashEmbedding("severe weather alerts"), 4);
      expect(
        matches
          .slice(0, 2)
          .map((match) => match.id)
          .sort(),
      ).toEqual(["alerts", "pdf"]);
      expect(matches).toHaveLength(4);
    });

    it("removes vectors by id and ignores unknown ids", async () => {
      await subject.index.remove(tenant, ["forecast", "no-such-id"]);
      await subject.settle();
      const ids = (await subject.index.query(tenant, hashEmbedding("weather forecast"), 10)).map((m) => m.id);
      expect(ids).not.toContain("forecast");
      expect(ids).toHaveLength(3);
    });

    it("keeps tenants apart", async () => {
      const other = `tenant-${crypto.randomUUID()}`;
      await subject.index.upsert(other, [{ id: "other-forecast", values: hashEmbedding(texts.forecast) }]);
      await subject.settle();
      const ids = (await subject.index.query(tenant, hashEmbedding(texts.forecast), 10)).map((m) => m.id);
      expect(ids).not.toContain("other-forecast");
      expect((await subject.index.query(other, hashEmbedding(texts.forecast), 10)).map((m) => m.id)).toEqual([
        "other-forecast",
      ]);
    });
  });
}
