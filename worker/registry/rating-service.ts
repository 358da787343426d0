// Star ratings of servers and agents: one per user (a new one replaces theirs),
// at most MAX_RATINGS kept per entity (the oldest dropped). Rating needs only
// that the caller may see and read the entity; the list of individual ratings
// is for admins. Storage through RatingStore.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import type {
  EntityRef,
  RatedKind,
  RatingStore,
  RatingSummary,
  StoredRating,
} from "../store/rating-store.ts";
import type { AccessGuard } from "./access-service.ts";

export const MAX_RATINGS = 100;

/** What views need: rating summaries of many entities at once. */
export interface RatingSummaries {
  summaries(tenant: string, kind: RatedKind, ids: string[]): Promise<Map<string, RatingSummary>>;
}

/** Resolves an entity the caller may read (404/403 otherwise), per kind. */
export type ReadableEntity = (principal: Principal, kind: RatedKind, id: string) => Promise<{ id: string }>;

export interface RatingServiceOptions {
  store: RatingStore;
  access: AccessGuard;
  readable: ReadableEntity;
  now?: () => Date;
}

export interface MyRating extends RatingSummary {
  /** The caller's own rating, null when they have none. */
  mine: number | null;
}

export class RatingService implements RatingSummaries {
  private readonly now: () => Date;

  constructor(private readonly options: RatingServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async rate(principal: Principal, kind: RatedKind, id: string, rating: number): Promise<MyRating> {
    const entity = await this.entity(principal, kind, id);
    const summary = await this.options.store.rate(
      entity,
      raterKey(principal),
      rating,
      this.now().toISOString(),
      MAX_RATINGS,
    );
    return { ...summary, mine: rating };
  }

  async unrate(principal: Principal, kind: RatedKind, id: string): Promise<MyRating> {
    const entity = await this.entity(principal, kind, id);
    if (!(await this.options.store.unrate(entity, raterKey(principal)))) {
      throw new GatewayError("not-found", { detail: "You have not rated this" });
    }
    const summary = (await this.summaries(principal.tenant, kind, [id])).get(id);
    return { mean: summary?.mean ?? null, count: summary?.count ?? 0, mine: null };
  }

  async mine(principal: Principal, kind: RatedKind, id: string): Promise<MyRating> {
    const entity = await this.entity(principal, kind, id);
    const [mine, summaries] = await Promise.all([
      this.options.store.ratingBy(entity, raterKey(principal)),
      this.summaries(principal.tenant, kind, [id]),
    ]);
    const summary = summaries.get(id);
    return { mean: summary?.mean ?? null, count: summary?.count ?? 0, mine };
  }

  /** The individual ratings, newest first: administrators only. */
  async list(principal: Principal, kind: RatedKind, id: string): Promise<StoredRating[]> {
    const entity = await this.entity(principal, kind, id);
    if (!(await this.options.access.viewer(principal)).seesEverything) {
      throw new GatewayError("forbidden", {
        detail: "Only administrators may list individual ratings",
        reason: "action_not_granted",
      });
    }
    return this.options.store.list(entity);
  }

  async summaries(tenant: string, kind: RatedKind, ids: string[]): Promise<Map<string, RatingSummary>> {
    const summaries = await this.options.store.summaries(tenant, kind, ids);
    for (const [id, summary] of summaries) {
      if (summary.mean !== null) summaries.set(id, { ...summary, mean: roundMean(summary.mean) });
    }
    return summaries;
  }

  /** The entity is gone: its ratings go too (an observer of both registries). */
  async forget(entity: EntityRef): Promise<void> {
    await this.options.store.removeEntity(entity);
  }

  private async entity(principal: Principal, kind: RatedKind, id: string): Promise<EntityRef> {
    await this.options.readable(principal, kind, id);
    return { tenant: principal.tenant, kind, id };
  }
}

/** Subjects are unique per issuer only. */
function raterKey(principal: Principal): string {
  return JSON.stringify([principal.issuer, principal.subject]);
}

function roundMean(mean: number): number {
  return Math.round(mean * 1000) / 1000;
}
