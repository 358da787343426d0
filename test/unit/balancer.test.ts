// Distribution tests of every load-balancing strategy. Random sources are
// seeded, so the stated tolerances are checked against reproducible runs.
import { describe, expect, it } from "vitest";
import {
  type Candidate,
  hash53,
  pickConsistentHash,
  pickLeastConnections,
  pickRandom,
  pickRoundRobin,
  pickWeighted,
} from "../../worker/resilience/balancer.ts";

/** mulberry32: a small seeded PRNG. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function replicas(weights: number[]): Candidate[] {
  return weights.map((weight, index) => ({ index, url: `http://replica-${index}.test/mcp`, weight }));
}

function shares(picks: Candidate[], count: number): number[] {
  const counts = new Array<number>(count).fill(0);
  for (const pick of picks) counts[pick.index] = (counts[pick.index] ?? 0) + 1;
  return counts.map((n) => n / picks.length);
}

const N = 100_000;

describe("round-robin", () => {
  it("gives every replica exactly the same number of picks, in rotation", () => {
    const candidates = replicas([1, 5, 1]);
    const picks = Array.from({ length: 9_000 }, (_, i) => pickRoundRobin(candidates, i));
    expect(shares(picks, 3).map((share) => share * 9_000)).toEqual([3_000, 3_000, 3_000]);
    expect(picks.slice(0, 4).map((pick) => pick.index)).toEqual([0, 1, 2, 0]);
  });
});

describe("random", () => {
  it("spreads uniformly, ignoring weights: each share within ±1 percentage point of 1/n", () => {
    const candidates = replicas([1, 10, 100, 1]);
    const random = seeded(7);
    const picks = Array.from({ length: N }, () => pickRandom(candidates, random));
    for (const share of shares(picks, 4)) expect(Math.abs(share - 0.25)).toBeLessThan(0.01);
  });
});

describe("weighted", () => {
  it.each([[[1, 2, 7]], [[1, 1]], [[5, 1, 1, 1, 2]], [[1000, 1]]])(
    "respects weights %j: each share within ±1 percentage point of weight/total",
    (weights) => {
      const candidates = replicas(weights);
      const random = seeded(42);
      const picks = Array.from({ length: N }, () => pickWeighted(candidates, random));
      const total = weights.reduce((a, b) => a + b, 0);
      const observed = shares(picks, weights.length);
      weights.forEach((weight, index) => {
        expect(Math.abs((observed[index] ?? 0) - weight / total)).toBeLessThan(0.01);
      });
    },
  );

  it("never picks a replica of weight zero", () => {
    const candidates = replicas([0, 3]);
    const random = seeded(1);
    for (let i = 0; i < 1_000; i++) expect(pickWeighted(candidates, random).index).toBe(1);
  });
});

describe("least-connections", () => {
  it("picks the replica with the fewest requests in flight per unit of weight", () => {
    const candidates = replicas([1, 1, 2]);
    const inFlight = new Map([
      [0, 3],
      [1, 1],
      [2, 3],
    ]);
    // loads: 3, 1, 1.5
    expect(pickLeastConnections(candidates, (c) => inFlight.get(c.index) ?? 0, 0).index).toBe(1);
  });

  it("shares evenly between equally loaded replicas", () => {
    const candidates = replicas([1, 1, 1]);
    const picks = Array.from({ length: 3_000 }, (_, i) => pickLeastConnections(candidates, () => 0, i));
    expect(shares(picks, 3).map((share) => share * 3_000)).toEqual([1_000, 1_000, 1_000]);
  });

  it("sends more traffic to the faster replica in a simulation (slow replica holds requests 4x longer)", () => {
    const candidates = replicas([1, 1]);
    const inFlight = [0, 0];
    const serviceTime = [4, 1]; // ticks
    const finishing: { at: number; index: number }[] = [];
    const counts = [0, 0];
    for (let tick = 0; tick < 20_000; tick++) {
      for (const job of finishing.filter((job) => job.at === tick))
        inFlight[job.index] = (inFlight[job.index] ?? 1) - 1;
      const pick = pickLeastConnections(candidates, (c) => inFlight[c.index] ?? 0, tick);
      inFlight[pick.index] = (inFlight[pick.index] ?? 0) + 1;
      counts[pick.index] = (counts[pick.index] ?? 0) + 1;
      finishing.push({ at: tick + (serviceTime[pick.index] ?? 1), index: pick.index });
    }
    // Round-robin would split 50/50 and pile requests up on the slow replica;
    // least-connections lets the fast one take at least 70%.
    const fastShare = (counts[1] ?? 0) / 20_000;
    expect(fastShare).toBeGreaterThanOrEqual(0.7);
    expect(fastShare).toBeLessThan(0.9);
  });
});

describe("consistent hashing (weighted rendezvous)", () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `tenant-a|https://idp.test|user-${i}`);

  it("is stable: the same key always lands on the same replica", () => {
    const candidates = replicas([1, 1, 1]);
    for (const key of keys.slice(0, 500)) {
      expect(pickConsistentHash(candidates, key)).toBe(pickConsistentHash([...candidates].reverse(), key));
    }
  });

  it("spreads keys evenly: each of 4 replicas within ±2 percentage points of 25%", () => {
    const candidates = replicas([1, 1, 1, 1]);
    const picks = keys.map((key) => pickConsistentHash(candidates, key));
    for (const share of shares(picks, 4)) expect(Math.abs(share - 0.25)).toBeLessThan(0.02);
  });

  it("respects weights: within ±2 percentage points of weight/total", () => {
    const candidates = replicas([1, 3]);
    const picks = keys.map((key) => pickConsistentHash(candidates, key));
    const [a, b] = shares(picks, 2);
    expect(Math.abs((a ?? 0) - 0.25)).toBeLessThan(0.02);
    expect(Math.abs((b ?? 0) - 0.75)).toBeLessThan(0.02);
  });

  it("moves only ~1/n of the keys when a replica is added, all of them to the new replica", () => {
    const before = replicas([1, 1, 1, 1]);
    const after = replicas([1, 1, 1, 1, 1]);
    let moved = 0;
    for (const key of keys) {
      const was = pickConsistentHash(before, key);
      const now = pickConsistentHash(after, key);
      if (was.url !== now.url) {
        moved += 1;
        expect(now.index).toBe(4);
      }
    }
    // Ideal: 1/5 of the keys. Tolerance: ±2 percentage points.
    expect(Math.abs(moved / keys.length - 0.2)).toBeLessThan(0.02);
  });

  it("moves only the removed replica's keys when one is removed", () => {
    const all = replicas([1, 1, 1, 1]);
    const without = all.filter((candidate) => candidate.index !== 2);
    for (const key of keys.slice(0, 5_000)) {
      const was = pickConsistentHash(all, key);
      if (was.index !== 2) expect(pickConsistentHash(without, key)).toBe(was);
    }
  });

  it("does not depend on the order or index of replicas (keys follow URLs)", () => {
    const candidates = replicas([1, 1, 1]);
    const shuffled = [candidates[2], candidates[0], candidates[1]].map((candidate, index) => ({
      ...(candidate as Candidate),
      index,
    }));
    for (const key of keys.slice(0, 500)) {
      expect(pickConsistentHash(shuffled, key).url).toBe(pickConsistentHash(candidates, key).url);
    }
  });
});

describe("hash53", () => {
  it("is deterministic and spreads nearby keys", () => {
    expect(hash53("a")).toBe(hash53("a"));
    expect(hash53("a")).not.toBe(hash53("b"));
    expect(hash53("a", 1)).not.toBe(hash53("a"));
    expect(Number.isSafeInteger(hash53("some longer key"))).toBe(true);
  });
});
