// Ordering and wording of ratings, shared by the servers and agents pages. Pure.
import type { RatingSummary } from "./api-types.ts";

export type SortOrder = "name" | "rating";

/** Highest mean first, unrated last; ties by more ratings, then by name. */
export function byRating<T extends { rating: RatingSummary }>(name: (item: T) => string) {
  return (a: T, b: T): number =>
    (b.rating.mean ?? -1) - (a.rating.mean ?? -1) ||
    b.rating.count - a.rating.count ||
    name(a).localeCompare(name(b));
}

export function sortItems<T extends { rating: RatingSummary }>(
  items: T[],
  order: SortOrder,
  name: (item: T) => string,
): T[] {
  const copy = [...items];
  return order === "rating" ? copy.sort(byRating(name)) : copy.sort((a, b) => name(a).localeCompare(name(b)));
}

export function formatMean(mean: number | null): string {
  return mean === null ? "–" : `${(Math.round(mean * 10) / 10).toFixed(1)} ★`;
}
