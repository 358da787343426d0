// The behaviour every Embedder adapter must have.
import { describe, expect, it } from "vitest";
import type { Embedder } from "../../worker/search/ports.ts";

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((value, i) => {
    dot += value * (b[i] as number);
    na += value * value;
    nb += (b[i] as number) ** 2;
  });
  return dot / Math.sqrt(na * nb);
}

export function describeEmbedderContract(adapter: string, make: () => Promise<Embedder>) {
  describe(`Embedder contract: ${adapter}`, () => {
    it("returns one vector per text, all of one dimension, in order", async () => {
      const embedder = await make();
      const texts = ["weather forecast", "convert pdf", "open an issue"];
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(3);
      const dimensions = vectors[0]?.length ?? 0;
      expect(dimensions).toBeGreaterThan(0);
      expect(vectors.every((vector) => vector.length === dimensions)).toBe(true);
      const one = await embedder.embed(["convert pdf"]);
      expect(one[0]).toEqual(vectors[1]);
    });

    it("is deterministic and names its vector space", async () => {
      const embedder = await make();
      expect(await embedder.embed(["same text"])).toEqual(await embedder.embed(["same text"]));
      expect(embedder.model).toMatch(/\S/);
    });

    it("embeds more texts than one backend request takes", async () => {
      const embedder = await make();
      const texts = Array.from({ length: 150 }, (_, i) => `tool number ${i}`);
      const vectors = await embedder.embed(texts);
      expect(vectors).toHaveLength(150);
      expect(vectors[149]).toEqual((await embedder.embed(["tool number 149"]))[0]);
    });

    it("returns nothing for no texts", async () => {
      expect(await (await make()).embed([])).toEqual([]);
    });

    it("puts related texts closer than unrelated ones", async () => {
      const [query, near, far] = await (await make()).embed([
        "weather forecast for tomorrow",
        "get the weather forecast",
        "open an issue in a repository",
      ]);
      expect(cosine(query ?? [], near ?? [])).toBeGreaterThan(cosine(query ?? [], far ?? []));
    });
  });
}
