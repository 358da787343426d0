// Sliding-window rate limits (issue 14) on real RateLimiter Durable Objects,
// with the object's clock driven by the test (runInDurableObject replaces
// `clock`): 200 concurrent requests against 50 per 60 s pass exactly 50; a
// burst straddling a window edge (where a fixed window let 100 through in
// 3.1 s) never passes more than 50 in any 60-s span, checked for every span
// that starts at a grant; Retry-After is exact; a refund gives the unit back.
// Plus the real path (chargeRateLimits, REST headers) with the real clock.
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../durable-objects/rate-limiter.ts";
import { buildApp } from "../../worker/app.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { chargeRateLimits } from "../../worker/resilience/rate-limit.ts";
import type { CounterRequest, TakeResult } from "../../worker/resilience/state-types.ts";
import { BASE } from "../support/api.ts";
import { resilienceDeps } from "../support/resilience.ts";
import { idpToken } from "../support/tokens.ts";

const L = 50;
const W = 60_000;
const COUNTER: CounterRequest = { key: "identity", limit: L, windowMs: W };
let objects = 0;

/** A fresh RateLimiter whose clock reads `clock.now`. */
async function limiterWithClock(clock: { now: number }) {
  objects += 1;
  const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`test:window:${Date.now()}:${objects}`));
  await runInDurableObject(stub, (instance: RateLimiter) => {
    instance.clock = () => clock.now;
  });
  return stub;
}

async function burst(stub: DurableObjectStub<RateLimiter>, count: number): Promise<TakeResult[]> {
  return Promise.all(Array.from({ length: count }, () => stub.take([COUNTER]) as Promise<TakeResult>));
}

/** The largest number of grants inside any closed span [g, g + W] that starts at a grant. */
function worstSpan(grants: number[]): number {
  const sorted = [...grants].sort((a, b) => a - b);
  let worst = 0;
  let end = 0;
  for (let start = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && (sorted[end] as number) <= (sorted[start] as number) + W) end += 1;
    worst = Math.max(worst, end - start);
  }
  return worst;
}

describe("sliding window on the RateLimiter object (controlled clock)", () => {
  it.each([1, 2, 3])("200 concurrent requests against 50 per 60 s pass exactly 50 (round %i)", async () => {
    const clock = { now: 1_000_000 };
    const stub = await limiterWithClock(clock);
    const results = await burst(stub, 200);
    expect(results.filter((result) => result.allowed)).toHaveLength(L);
    // Later in the same 60 s: still nothing.
    clock.now += 59_000;
    expect((await burst(stub, 20)).filter((result) => result.allowed)).toHaveLength(0);
  });

  it("a burst straddling a window edge never passes more than 50 in any 60-s span", async () => {
    // Minute boundaries at multiples of 60 000: a fixed window resets at 600 000.
    const clock = { now: 0 };
    const stub = await limiterWithClock(clock);
    const grants: number[] = [];
    const at = async (time: number, count: number) => {
      clock.now = time;
      for (const result of await burst(stub, count)) if (result.allowed) grants.push(time);
    };
    // The fixed-window attack: 100 just before the edge, 100 just after (3.1 s apart).
    await at(598_000, 100);
    await at(601_100, 100);
    // Then steady pressure for three more minutes: 10 requests every second,
    // with more edge bursts on the way.
    for (let time = 602_000; time <= 780_000; time += 1_000) {
      await at(time, time % 60_000 === 59_000 || time % 60_000 === 1_000 ? 60 : 10);
    }
    expect(grants.filter((time) => time <= 601_100)).toHaveLength(L);
    expect(worstSpan(grants)).toBeLessThanOrEqual(L);
    // Not starved either: every minute gives the whole budget back (within one 60-ms slot).
    expect(grants.length).toBeGreaterThanOrEqual(3 * L);
  });

  it("Retry-After is exact: refused one millisecond before it, granted at it", async () => {
    const clock = { now: 5_000_000 };
    const stub = await limiterWithClock(clock);
    expect((await burst(stub, L)).every((result) => result.allowed)).toBe(true);
    clock.now += 20_000;
    const refused = (await stub.take([COUNTER])) as TakeResult;
    expect(refused.allowed).toBe(false);
    const retryAfterMs = (refused as Extract<TakeResult, { allowed: false }>).retryAfterMs;
    // The grants count until the end of their 60-ms slot (W/1000) plus the window.
    const slotStart = Math.floor(5_000_000 / 60) * 60;
    expect(retryAfterMs).toBe(slotStart + 60 + W - clock.now);
    clock.now += retryAfterMs - 1;
    expect(((await stub.take([COUNTER])) as TakeResult).allowed).toBe(false);
    clock.now += 1;
    const granted = (await stub.take([COUNTER])) as TakeResult;
    expect(granted.allowed).toBe(true);
    // Everything of the first burst stopped counting at once: 49 left.
    expect(granted.counters[0]?.remaining).toBe(L - 1);
  });

  it("a refund gives the unit back", async () => {
    const clock = { now: 9_000_000 };
    const stub = await limiterWithClock(clock);
    const results = await burst(stub, L);
    const last = results.at(-1) as Extract<TakeResult, { allowed: true }>;
    expect(((await stub.take([COUNTER])) as TakeResult).allowed).toBe(false);
    await stub.refund([{ key: "identity", windowStart: last.counters[0]?.windowStart as number }]);
    expect(((await stub.take([COUNTER])) as TakeResult).allowed).toBe(true);
    expect(((await stub.take([COUNTER])) as TakeResult).allowed).toBe(false);
  });
});

describe("the real path (real clock)", () => {
  function someone(): Principal {
    objects += 1;
    return {
      subject: `window-${Date.now().toString(36)}-${objects}`,
      issuer: "https://idp.test",
      tenant: "default",
      groups: [],
      scopes: [],
      kind: "machine",
    };
  }

  it("200 concurrent charges against RATE_LIMIT_PER_IDENTITY=50/60s grant exactly 50", async () => {
    const bindings = { ...env, RATE_LIMIT_PER_IDENTITY: "50/60s" } as Env;
    const principal = someone();
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        chargeRateLimits(resilienceDeps(bindings), principal, { charge: "all" }),
      ),
    );
    expect(results.filter((result) => result.allowed)).toHaveLength(L);
    const refused = results.find((result) => !result.allowed);
    expect(refused).toMatchObject({ allowed: false, scope: "identity" });
    // The grants stop counting about 60 s after they were made.
    const retry = (refused as { retryAfterMs: number }).retryAfterMs;
    expect(retry).toBeGreaterThan(50_000);
    expect(retry).toBeLessThanOrEqual(W + 60);
  });

  it("REST refusals carry Retry-After and RateLimit from the sliding window", async () => {
    const bindings = { ...env, RATE_LIMIT_PER_IDENTITY: "2/60s" } as Env;
    const app = buildApp();
    const token = await idpToken({ claims: { sub: `window-rest-${Date.now()}` } });
    const send = async () => {
      const ctx = createExecutionContext();
      const response = await app.fetch(
        new Request(`${BASE}/api/v1/servers`, { headers: { authorization: `Bearer ${token}` } }),
        bindings,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response;
    };
    expect((await send()).status).toBe(200);
    const second = await send();
    expect(second.headers.get("ratelimit")).toMatch(/^"identity";r=0;t=(59|60)$/);
    const third = await send();
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(59);
    expect(Number(third.headers.get("retry-after"))).toBeLessThanOrEqual(61);
  });
});
