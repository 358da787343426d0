// Replica selection: pure functions, one per load-balancing strategy. They
// choose among candidates the caller has already filtered (transport, open
// circuits, exclusions); any state they need (a rotation counter, in-flight
// counts, a random source) is passed in, so they are deterministic in tests.

export const LOAD_BALANCING_STRATEGIES = [
  "round-robin",
  "weighted",
  "least-connections",
  "random",
  "consistent-hash",
] as const;
export type LoadBalancingStrategy = (typeof LOAD_BALANCING_STRATEGIES)[number];

/** What consistent hashing hashes: the caller's identity, or the session (falling back to identity). */
export type HashOn = "identity" | "session";

export interface Candidate {
  /** Position in the server's `endpoints`. */
  index: number;
  /** Stable identity of the replica: consistent hashing keys on it, so indexes may shift freely. */
  url: string;
  weight: number;
}

/** The n-th candidate in rotation; `counter` is any non-negative integer that increases per pick. */
export function pickRoundRobin<C>(candidates: readonly C[], counter: number): C {
  return at(candidates, counter % candidates.length);
}

/** Uniformly at random, ignoring weights. */
export function pickRandom<C>(candidates: readonly C[], random: () => number): C {
  return at(candidates, Math.min(candidates.length - 1, Math.floor(random() * candidates.length)));
}

/** At random in proportion to weight (stateless, so every isolate agrees in expectation). */
export function pickWeighted<C extends Candidate>(candidates: readonly C[], random: () => number): C {
  const total = candidates.reduce((sum, candidate) => sum + Math.max(candidate.weight, 0), 0);
  if (total <= 0) return pickRandom(candidates, random);
  let point = random() * total;
  for (const candidate of candidates) {
    point -= Math.max(candidate.weight, 0);
    if (point < 0) return candidate;
  }
  return at(candidates, candidates.length - 1);
}

/**
 * The candidate with the fewest requests in flight per unit of weight; ties
 * go round the tied candidates with `counter`, so equal replicas share load.
 */
export function pickLeastConnections<C extends Candidate>(
  candidates: readonly C[],
  inFlight: (candidate: C) => number,
  counter: number,
): C {
  let best: C[] = [];
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const load = inFlight(candidate) / Math.max(candidate.weight, 1);
    if (load < bestLoad) {
      bestLoad = load;
      best = [candidate];
    } else if (load === bestLoad) {
      best.push(candidate);
    }
  }
  return pickRoundRobin(best, counter);
}

/**
 * Weighted rendezvous (highest-random-weight) hashing on `key`: every replica
 * scores `weight / -ln(u)` with `u` a hash of (key, replica URL), and the
 * highest score wins. Adding a replica moves only the keys it now wins (about
 * 1/n of them); removing one moves only the keys it held.
 */
export function pickConsistentHash<C extends Candidate>(candidates: readonly C[], key: string): C {
  let best = at(candidates, 0);
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const candidate of candidates) {
    const unit = (hash53(`${key}\u0000${candidate.url}`) + 0.5) / 2 ** 53;
    const score = Math.max(candidate.weight, 0) / -Math.log(unit);
    if (score > bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}

/** A fast 53-bit string hash (two multiplicative 32-bit lanes), good enough to spread keys evenly. */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

function at<C>(candidates: readonly C[], index: number): C {
  const candidate = candidates[index];
  if (candidate === undefined) throw new RangeError("no candidate to pick from");
  return candidate;
}
