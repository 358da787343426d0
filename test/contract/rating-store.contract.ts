// The behaviour every RatingStore adapter must have (one rating per rater,
// replace on re-rating, at most `keep` kept with the oldest dropped).
import { beforeEach, describe, expect, it } from "vitest";
import type { EntityRef, RatingStore } from "../../worker/store/rating-store.ts";

const entity = (kind: EntityRef["kind"] = "server"): EntityRef => ({
  tenant: "tenant-a",
  kind,
  id: crypto.randomUUID(),
});
const at = (second: number) => new Date(Date.UTC(2026, 10, 21, 10, 0, second)).toISOString();

export function describeRatingStoreContract(adapter: string, makeStore: () => Promise<RatingStore>) {
  describe(`RatingStore contract: ${adapter}`, () => {
    let store: RatingStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it("keeps one rating per rater: a new one replaces theirs", async () => {
      const target = entity();
      expect(await store.rate(target, "u1", 5, at(1), 100)).toEqual({ mean: 5, count: 1 });
      expect(await store.rate(target, "u2", 2, at(2), 100)).toEqual({ mean: 3.5, count: 2 });
      expect(await store.rate(target, "u1", 1, at(3), 100)).toEqual({ mean: 1.5, count: 2 });
      expect(await store.ratingBy(target, "u1")).toBe(1);
      expect((await store.list(target)).map((row) => [row.rater, row.rating])).toEqual([
        ["u1", 1],
        ["u2", 2],
      ]);
    });

    it("keeps at most `keep`, dropping the oldest (a re-rating counts as new)", async () => {
      const target = entity();
      for (let i = 0; i < 6; i++) await store.rate(target, `u${i}`, (i % 5) + 1, at(i), 4);
      // u0 and u1 are gone; u2 re-rates and becomes the newest, so u3 goes next.
      expect((await store.list(target)).map((row) => row.rater)).toEqual(["u5", "u4", "u3", "u2"]);
      await store.rate(target, "u2", 5, at(10), 4);
      await store.rate(target, "u9", 5, at(11), 4);
      expect((await store.list(target)).map((row) => row.rater)).toEqual(["u9", "u2", "u5", "u4"]);
    });

    it("summarises several entities of a kind at once, per tenant", async () => {
      const a = entity("agent");
      const b = entity("agent");
      await store.rate(a, "u1", 4, at(1), 100);
      await store.rate(a, "u2", 5, at(2), 100);
      await store.rate(b, "u1", 1, at(3), 100);
      const summaries = await store.summaries("tenant-a", "agent", [a.id, b.id, "none"]);
      expect(summaries.get(a.id)).toEqual({ mean: 4.5, count: 2 });
      expect(summaries.get(b.id)).toEqual({ mean: 1, count: 1 });
      expect(summaries.has("none")).toBe(false);
      expect((await store.summaries("tenant-b", "agent", [a.id])).size).toBe(0);
      expect((await store.summaries("tenant-a", "server", [a.id])).size).toBe(0);
    });

    it("removes one rater's rating, or all of an entity's", async () => {
      const target = entity();
      await store.rate(target, "u1", 3, at(1), 100);
      await store.rate(target, "u2", 4, at(2), 100);
      expect(await store.unrate(target, "u1")).toBe(true);
      expect(await store.unrate(target, "u1")).toBe(false);
      expect(await store.ratingBy(target, "u1")).toBeNull();
      await store.removeEntity(target);
      expect(await store.list(target)).toEqual([]);
    });
  });
}
