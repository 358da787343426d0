// UpkeepStore on D1. Deletions are bounded per statement (D1 limits a
// statement's run time), so a large backlog is cleared over several runs.
import type { StaleServer, UpkeepStore } from "../upkeep-store.ts";

/** Rows deleted per statement; the next run continues. */
export const PURGE_BATCH = 5_000;

export class D1UpkeepStore implements UpkeepStore {
  constructor(private readonly db: D1Database) {}

  async purgeTokens(before: string): Promise<number> {
    const result = await this.db
      .prepare(
        `DELETE FROM vended_tokens WHERE id IN (
           SELECT id FROM vended_tokens WHERE expires_at < ?1
           UNION SELECT id FROM vended_tokens WHERE revoked_at IS NOT NULL AND revoked_at < ?1
           LIMIT ${PURGE_BATCH})`,
      )
      .bind(before)
      .run();
    return result.meta.changes ?? 0;
  }

  async purgeAudit(before: string): Promise<number> {
    const result = await this.db
      .prepare(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events WHERE occurred_at < ? LIMIT ${PURGE_BATCH})`,
      )
      .bind(before)
      .run();
    return result.meta.changes ?? 0;
  }

  async serversCheckedBefore(before: string, limit: number): Promise<StaleServer[]> {
    const { results } = await this.db
      .prepare(
        `SELECT id, tenant, path, name FROM servers
         WHERE enabled = 1 AND created_at < ?1
           AND coalesce(json_extract(health_detail, '$.checkedAt'), '') < ?1
         ORDER BY id LIMIT ?2`,
      )
      .bind(before, limit)
      .all<StaleServer>();
    return results;
  }
}
