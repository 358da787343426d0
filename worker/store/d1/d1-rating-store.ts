// RatingStore on Cloudflare D1. A rating is written as one batch (one
// transaction): drop the rater's previous rating, insert the new one (so it
// gets the newest `seq`), drop everything beyond the newest `keep`, and read
// the summary back, so concurrent raters never leave more than `keep` rows.
import { and, desc, eq, sql } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { EntityRef, RatedKind, RatingStore, RatingSummary, StoredRating } from "../rating-store.ts";
import { ratings } from "./schema.ts";

export class D1RatingStore implements RatingStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async rate(
    entity: EntityRef,
    rater: string,
    rating: number,
    ratedAt: string,
    keep: number,
  ): Promise<RatingSummary> {
    const ofEntity = this.ofEntity(entity);
    const [, , , summary] = await this.db.batch([
      this.db.delete(ratings).where(and(ofEntity, eq(ratings.rater, rater))),
      this.db.insert(ratings).values({
        tenant: entity.tenant,
        entityKind: entity.kind,
        entityId: entity.id,
        rater,
        rating,
        ratedAt,
      }),
      this.db
        .delete(ratings)
        .where(
          and(
            ofEntity,
            sql`${ratings.seq} not in (select ${ratings.seq} from ${ratings} where ${ofEntity} order by ${ratings.seq} desc limit ${keep})`,
          ),
        ),
      this.db
        .select({ mean: sql<number | null>`avg(${ratings.rating})`, count: sql<number>`count(*)` })
        .from(ratings)
        .where(ofEntity),
    ]);
    const row = summary[0];
    return { mean: row?.mean ?? null, count: row?.count ?? 0 };
  }

  async unrate(entity: EntityRef, rater: string): Promise<boolean> {
    const deleted = await this.db
      .delete(ratings)
      .where(and(this.ofEntity(entity), eq(ratings.rater, rater)))
      .returning({ seq: ratings.seq });
    return deleted.length > 0;
  }

  async summaries(tenant: string, kind: RatedKind, ids: string[]): Promise<Map<string, RatingSummary>> {
    const result = new Map<string, RatingSummary>();
    if (ids.length === 0) return result;
    // One JSON parameter, however many ids (D1 binds at most 100 parameters).
    const rows = await this.db
      .select({
        id: ratings.entityId,
        mean: sql<number>`avg(${ratings.rating})`,
        count: sql<number>`count(*)`,
      })
      .from(ratings)
      .where(
        and(
          eq(ratings.tenant, tenant),
          eq(ratings.entityKind, kind),
          sql`${ratings.entityId} in (select value from json_each(${JSON.stringify(ids)}))`,
        ),
      )
      .groupBy(ratings.entityId);
    for (const row of rows) result.set(row.id, { mean: row.mean, count: row.count });
    return result;
  }

  async list(entity: EntityRef): Promise<StoredRating[]> {
    return this.db
      .select({ rater: ratings.rater, rating: ratings.rating, ratedAt: ratings.ratedAt })
      .from(ratings)
      .where(this.ofEntity(entity))
      .orderBy(desc(ratings.seq));
  }

  async ratingBy(entity: EntityRef, rater: string): Promise<number | null> {
    const rows = await this.db
      .select({ rating: ratings.rating })
      .from(ratings)
      .where(and(this.ofEntity(entity), eq(ratings.rater, rater)))
      .limit(1);
    return rows[0]?.rating ?? null;
  }

  async removeEntity(entity: EntityRef): Promise<void> {
    await this.db.delete(ratings).where(this.ofEntity(entity));
  }

  private ofEntity(entity: EntityRef) {
    return and(
      eq(ratings.tenant, entity.tenant),
      eq(ratings.entityKind, entity.kind),
      eq(ratings.entityId, entity.id),
    ) as ReturnType<typeof sql>;
  }
}
