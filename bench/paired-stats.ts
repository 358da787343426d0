// Small statistics for paired benchmark designs: medians and intervals of
// per-block differences that do not assume a normal distribution (a seeded
// percentile bootstrap, so a run is reproducible from its figures).

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

export function standardDeviation(values: number[]): number {
  const average = mean(values);
  return Math.sqrt(
    values.reduce((sum, value) => sum + (value - average) ** 2, 0) / Math.max(1, values.length - 1),
  );
}

/** mulberry32: a tiny seeded PRNG (bootstrap resampling, the search datasets' samples). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 95% percentile-bootstrap interval of `statistic` over `values` (resampled with replacement). */
export function bootstrapInterval(
  values: number[],
  statistic: (sample: number[]) => number,
  resamples = 10_000,
  seed = 16,
): [number, number] {
  if (values.length < 2) return [Number.NaN, Number.NaN];
  const random = seededRandom(seed);
  const estimates: number[] = [];
  const sample = new Array<number>(values.length);
  for (let round = 0; round < resamples; round++) {
    for (let index = 0; index < values.length; index++)
      sample[index] = values[Math.floor(random() * values.length)] as number;
    estimates.push(statistic(sample));
  }
  estimates.sort((a, b) => a - b);
  return [
    estimates[Math.floor(0.025 * resamples)] as number,
    estimates[Math.min(resamples - 1, Math.ceil(0.975 * resamples) - 1)] as number,
  ];
}
