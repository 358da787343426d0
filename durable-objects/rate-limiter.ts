// RateLimiter: exact fixed-window counters. Objects are sharded so that no
// single one sees the whole gateway's traffic (docs/architecture.md):
// `ratelimit:identity:{caller}` holds one identity's counters (its own limit
// and its limit on each server), `ratelimit:tenant:{tenant}:{shard}` one
// slice of a tenant's budget. `take` checks and counts every requested
// counter in one synchronous SQLite step, so concurrent requests can never
// both take the last unit: N requests against a limit L get exactly L grants.
import { DurableObject } from "cloudflare:workers";
import type { CounterRequest, CounterState, TakeResult } from "../worker/resilience/state-types.ts";

export const RATE_LIMITER_STORAGE = {
  /** SQL: one row per counter: key, current window start (epoch ms), count, expiry (epoch ms). */
  countersTable: "counters",
} as const;

export class RateLimiter extends DurableObject<Env> {
  private alarmSet = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS ${RATE_LIMITER_STORAGE.countersTable} (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
    );
  }

  /** Takes one unit from every counter, or from none when any is exhausted. */
  async take(requests: CounterRequest[]): Promise<TakeResult> {
    const now = Date.now();
    // No await between reading and writing: this whole block is one atomic step.
    const current = requests.map((request) => {
      const windowStart = Math.floor(now / request.windowMs) * request.windowMs;
      const row = this.ctx.storage.sql
        .exec<{ window_start: number; count: number }>(
          `SELECT window_start, count FROM ${RATE_LIMITER_STORAGE.countersTable} WHERE key = ?`,
          request.key,
        )
        .toArray()[0];
      const count = row && row.window_start === windowStart ? row.count : 0;
      return { request, windowStart, count };
    });
    const exhausted = current.filter(({ request, count }) => count >= request.limit);
    if (exhausted.length > 0) {
      const retryAfterMs = Math.max(
        ...exhausted.map(({ request, windowStart }) => windowStart + request.windowMs - now),
      );
      return {
        allowed: false,
        retryAfterMs,
        exhausted: exhausted.map(({ request }) => request.key),
        counters: current.map(({ request, windowStart, count }) =>
          state(request, windowStart, Math.max(0, request.limit - count)),
        ),
      };
    }
    for (const { request, windowStart, count } of current) {
      this.ctx.storage.sql.exec(
        `INSERT INTO ${RATE_LIMITER_STORAGE.countersTable} (key, window_start, count, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(key) DO UPDATE SET window_start = excluded.window_start, count = excluded.count, expires_at = excluded.expires_at`,
        request.key,
        windowStart,
        count + 1,
        windowStart + request.windowMs,
      );
    }
    await this.scheduleCleanup(now, requests);
    return {
      allowed: true,
      counters: current.map(({ request, windowStart, count }) =>
        state(request, windowStart, request.limit - count - 1),
      ),
    };
  }

  /** Gives back units taken in `windowStart` (another limit refused the same request). */
  async refund(counters: { key: string; windowStart: number }[]): Promise<void> {
    for (const counter of counters) {
      this.ctx.storage.sql.exec(
        `UPDATE ${RATE_LIMITER_STORAGE.countersTable} SET count = MAX(count - 1, 0) WHERE key = ? AND window_start = ?`,
        counter.key,
        counter.windowStart,
      );
    }
  }

  /** Drops counters whose window has ended; comes back while any remain. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ctx.storage.sql.exec(`DELETE FROM ${RATE_LIMITER_STORAGE.countersTable} WHERE expires_at <= ?`, now);
    const next = this.ctx.storage.sql
      .exec<{ next: number | null }>(
        `SELECT MIN(expires_at) AS next FROM ${RATE_LIMITER_STORAGE.countersTable}`,
      )
      .toArray()[0]?.next;
    this.alarmSet = next !== null && next !== undefined;
    if (this.alarmSet) await this.ctx.storage.setAlarm(next as number);
  }

  private async scheduleCleanup(now: number, requests: CounterRequest[]): Promise<void> {
    if (this.alarmSet) return;
    this.alarmSet = true;
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    const longest = Math.max(...requests.map((request) => request.windowMs));
    await this.ctx.storage.setAlarm(now + longest);
  }
}

function state(request: CounterRequest, windowStart: number, remaining: number): CounterState {
  return {
    key: request.key,
    limit: request.limit,
    remaining,
    resetAt: windowStart + request.windowMs,
    windowStart,
  };
}
