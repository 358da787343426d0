// Reciprocal-rank fusion (Cormack et al., 2009): each ranking gives an item
// weight / (k + rank), ranks counted from 1; items are ordered by the sum.
// Scale-free, so BM25 scores and cosine similarities combine without
// calibration.

export interface Ranking<T> {
  items: T[];
  weight: number;
}

export function reciprocalRankFusion<T>(
  rankings: Ranking<T>[],
  key: (item: T) => string,
  k: number,
): { item: T; score: number }[] {
  const fused = new Map<string, { item: T; score: number }>();
  for (const { items, weight } of rankings) {
    items.forEach((item, index) => {
      const id = key(item);
      const entry = fused.get(id) ?? { item, score: 0 };
      entry.score += weight / (k + index + 1);
      fused.set(id, entry);
    });
  }
  return [...fused.values()].sort((a, b) => b.score - a.score);
}
