// RateLimiter: exact sliding-window limits. Objects are sharded so that no
// single one sees the whole gateway's traffic (docs/architecture.md):
// `ratelimit:identity:{caller}` holds one identity's counters (its own limit
// and its limit on each server), `ratelimit:tenant:{tenant}:{shard}` one
// slice of a tenant's budget. `take` checks and counts every requested
// counter in one synchronous SQLite step, so concurrent requests can never
// both take the last unit: N requests against a limit L get exactly L grants.
//
// Sliding window, never more than L in ANY span of the window's length (a
// fixed window lets 2L through across its edge). Grants are kept in slots of
// windowMs/1000 (at least 1 ms), so a counter holds at most ~1000 rows
// whatever its limit; a grant counts until the END of its slot plus the
// window, i.e. never shorter than its true age allows. The price: a unit
// comes back up to one slot (0.1% of the window) later than an exact log
// would give it back.
import { DurableObject } from "cloudflare:workers";
import type { CounterRequest, CounterState, TakeResult } from "../worker/resilience/state-types.ts";

export const RATE_LIMITER_STORAGE = {
  /** SQL: one row per counter and slot: key, slot start (epoch ms), grants in it, expiry (epoch ms). */
  slotsTable: "slots",
  /** The fixed-window table of earlier versions, dropped on start (its counts reset once). */
  legacyCountersTable: "counters",
} as const;

/** Slot length for a window: 1/1000 of it, at least 1 ms. */
export function slotMs(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / 1000));
}

export class RateLimiter extends DurableObject<Env> {
  private alarmSet = false;
  /** The object's clock (epoch ms). Tests replace it (runInDurableObject) to drive time exactly. */
  clock: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`DROP TABLE IF EXISTS ${RATE_LIMITER_STORAGE.legacyCountersTable}`);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS ${RATE_LIMITER_STORAGE.slotsTable} (key TEXT NOT NULL, slot INTEGER NOT NULL, count INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (key, slot))`,
    );
  }

  /** Takes one unit from every counter, or from none when any is exhausted. */
  async take(requests: CounterRequest[]): Promise<TakeResult> {
    const now = this.clock();
    // No await between reading and writing: this whole block is one atomic step.
    const current = requests.map((request) => this.usage(request, now));
    const exhausted = current.filter(({ request, used }) => used >= request.limit);
    if (exhausted.length > 0) {
      const retryAfterMs = Math.max(...exhausted.map((usage) => freesAt(usage) - now));
      return {
        allowed: false,
        retryAfterMs,
        exhausted: exhausted.map(({ request }) => request.key),
        counters: current.map((usage) => state(usage, Math.max(0, usage.request.limit - usage.used))),
      };
    }
    for (const { request, slot } of current) {
      this.ctx.storage.sql.exec(
        `INSERT INTO ${RATE_LIMITER_STORAGE.slotsTable} (key, slot, count, expires_at) VALUES (?, ?, 1, ?)
         ON CONFLICT(key, slot) DO UPDATE SET count = count + 1`,
        request.key,
        slot,
        slot + request.windowMs + slotMs(request.windowMs),
      );
    }
    await this.scheduleCleanup(now, requests);
    return {
      allowed: true,
      counters: current.map((usage) => state(usage, usage.request.limit - usage.used - 1)),
    };
  }

  /** Gives back units taken in the slot `windowStart` (another limit refused the same request). */
  async refund(counters: { key: string; windowStart: number }[]): Promise<void> {
    for (const counter of counters) {
      this.ctx.storage.sql.exec(
        `UPDATE ${RATE_LIMITER_STORAGE.slotsTable} SET count = MAX(count - 1, 0) WHERE key = ? AND slot = ?`,
        counter.key,
        counter.windowStart,
      );
    }
  }

  /** Drops slots that no longer count; comes back while any remain. */
  override async alarm(): Promise<void> {
    const now = this.clock();
    this.ctx.storage.sql.exec(`DELETE FROM ${RATE_LIMITER_STORAGE.slotsTable} WHERE expires_at <= ?`, now);
    const next = this.ctx.storage.sql
      .exec<{ next: number | null }>(`SELECT MIN(expires_at) AS next FROM ${RATE_LIMITER_STORAGE.slotsTable}`)
      .toArray()[0]?.next;
    this.alarmSet = next !== null && next !== undefined;
    if (this.alarmSet) await this.ctx.storage.setAlarm(next as number);
  }

  /** The live slots of one counter (older ones are deleted here) and what they add up to. */
  private usage(request: CounterRequest, now: number): Usage {
    const size = slotMs(request.windowMs);
    // A slot counts while now <= slot + size - 1 + window: as long as its LATEST possible grant would.
    const oldestLive = now - request.windowMs - size + 1;
    this.ctx.storage.sql.exec(
      `DELETE FROM ${RATE_LIMITER_STORAGE.slotsTable} WHERE key = ? AND slot < ?`,
      request.key,
      oldestLive,
    );
    const slots = this.ctx.storage.sql
      .exec<{ slot: number; count: number }>(
        `SELECT slot, count FROM ${RATE_LIMITER_STORAGE.slotsTable} WHERE key = ? AND count > 0 ORDER BY slot`,
        request.key,
      )
      .toArray();
    const used = slots.reduce((sum, row) => sum + row.count, 0);
    return { request, slots, used, slot: Math.floor(now / size) * size, size };
  }

  private async scheduleCleanup(now: number, requests: CounterRequest[]): Promise<void> {
    if (this.alarmSet) return;
    this.alarmSet = true;
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    const longest = Math.max(...requests.map((request) => request.windowMs + slotMs(request.windowMs)));
    await this.ctx.storage.setAlarm(now + longest);
  }
}

interface Usage {
  request: CounterRequest;
  /** Live slots, oldest first. */
  slots: { slot: number; count: number }[];
  used: number;
  /** The slot a grant now falls in. */
  slot: number;
  size: number;
}

/** When enough old grants stop counting for one more unit to fit (the first unit's time when not full). */
function freesAt({ request, slots, used, slot, size }: Usage): number {
  let toFree = used - request.limit + 1;
  for (const row of slots) {
    toFree -= row.count;
    if (toFree <= 0) return row.slot + request.windowMs + size;
  }
  return slot + request.windowMs + size;
}

function state(usage: Usage, remaining: number): CounterState {
  return {
    key: usage.request.key,
    limit: usage.request.limit,
    remaining,
    // When the next unit comes back (RateLimit's `t`): the oldest live grant's expiry.
    resetAt: (usage.slots[0]?.slot ?? usage.slot) + usage.request.windowMs + usage.size,
    windowStart: usage.slot,
  };
}
