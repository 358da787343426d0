// The storage port for star ratings of servers and agents. One rating per
// rater and entity; at most `keep` per entity (the oldest dropped). D1 adapter
// store/d1/d1-rating-store.ts; contract test/contract/rating-store.contract.ts.

export type RatedKind = "server" | "agent";

export interface EntityRef {
  tenant: string;
  kind: RatedKind;
  id: string;
}

export interface RatingSummary {
  /** Mean of the kept ratings, null when there are none. */
  mean: number | null;
  count: number;
}

export interface StoredRating {
  rater: string;
  rating: number;
  ratedAt: string;
}

export const NO_RATINGS: RatingSummary = { mean: null, count: 0 };

export interface RatingStore {
  /**
   * Stores `rater`'s rating (replacing theirs, which then counts as the newest)
   * and drops the oldest beyond `keep`, atomically. Returns the new summary.
   */
  rate(
    entity: EntityRef,
    rater: string,
    rating: number,
    ratedAt: string,
    keep: number,
  ): Promise<RatingSummary>;
  /** Removes `rater`'s rating; returns false when there was none. */
  unrate(entity: EntityRef, rater: string): Promise<boolean>;
  /** Summaries for several entities of one kind at once (absent ids: no ratings). */
  summaries(tenant: string, kind: RatedKind, ids: string[]): Promise<Map<string, RatingSummary>>;
  /** The kept ratings, newest first. */
  list(entity: EntityRef): Promise<StoredRating[]>;
  /** The rater's own rating, if any. */
  ratingBy(entity: EntityRef, rater: string): Promise<number | null>;
  /** Drops every rating of the entity (it was deleted). */
  removeEntity(entity: EntityRef): Promise<void>;
}
