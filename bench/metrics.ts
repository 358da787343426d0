// Retrieval metrics over ranked tool names (binary relevance). A ranking is
// reduced to distinct names first: the same tool name on two servers counts
// once, as the data README prescribes.

export function distinct(names: string[]): string[] {
  return [...new Set(names)];
}

/** Share of the relevant names found in the first k distinct names. */
export function recallAt(ranked: string[], relevant: string[], k: number): number {
  const top = new Set(distinct(ranked).slice(0, k));
  return relevant.filter((name) => top.has(name)).length / relevant.length;
}

/** 1 when any relevant name is in the first k distinct names. */
export function hitAt(ranked: string[], relevant: string[], k: number): number {
  const wanted = new Set(relevant);
  return distinct(ranked)
    .slice(0, k)
    .some((name) => wanted.has(name))
    ? 1
    : 0;
}

export function ndcgAt(ranked: string[], relevant: string[], k: number): number {
  const wanted = new Set(relevant);
  let dcg = 0;
  distinct(ranked)
    .slice(0, k)
    .forEach((name, index) => {
      if (wanted.has(name)) dcg += 1 / Math.log2(index + 2);
    });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.length); i++) ideal += 1 / Math.log2(i + 2);
  return ideal === 0 ? 0 : dcg / ideal;
}

export function reciprocalRank(ranked: string[], relevant: string[]): number {
  const wanted = new Set(relevant);
  const index = distinct(ranked).findIndex((name) => wanted.has(name));
  return index < 0 ? 0 : 1 / (index + 1);
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Nearest-rank percentile of already measured values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface QualityScores {
  "recall@5": number;
  "recall@10": number;
  "recall@20": number;
  "ndcg@10": number;
  mrr: number;
  "hit@1": number;
  "hit@5": number;
  "hit@10": number;
}

export function score(rankings: { ranked: string[]; relevant: string[] }[]): QualityScores {
  const over = (f: (ranked: string[], relevant: string[]) => number) =>
    mean(rankings.map(({ ranked, relevant }) => f(ranked, relevant)));
  return {
    "recall@5": over((r, rel) => recallAt(r, rel, 5)),
    "recall@10": over((r, rel) => recallAt(r, rel, 10)),
    "recall@20": over((r, rel) => recallAt(r, rel, 20)),
    "ndcg@10": over((r, rel) => ndcgAt(r, rel, 10)),
    mrr: over(reciprocalRank),
    "hit@1": over((r, rel) => hitAt(r, rel, 1)),
    "hit@5": over((r, rel) => hitAt(r, rel, 5)),
    "hit@10": over((r, rel) => hitAt(r, rel, 10)),
  };
}
