// What the egress guard adds to one upstream request in production policy.
// Run: `npm run bench:egress` (Node; not a test). In one process, with an
// inner fetch that answers at once (so only the guard's own work shows):
//  - baseline: the inner fetch called directly;
//  - local mode (private upstreams allowed): the guard is the inner fetch;
//  - production, an IP-literal URL (parsed and judged, no lookup);
//  - production, a DNS name whose answer is cached (the steady state: one
//    DoH lookup per name per TTL, at most 5 minutes).
// Prints the median and p99 per request over ROUNDS rounds, and the median
// overhead over the baseline.
import { EgressGuard } from "../worker/upstream/guarded-fetch.ts";
import { CachingResolver, TableResolver } from "../worker/upstream/host-resolver.ts";

const ITERATIONS = Number(process.env.ITERATIONS ?? 20_000);
const ROUNDS = 15;

const inner = (async () => new Response(null, { status: 204 })) as typeof fetch;
const resolver = new CachingResolver(
  new TableResolver({ "mcp.example.com": ["93.184.215.14", "2606:4700::1111"] }),
);
const production = new EgressGuard({ allowPrivate: false, resolver, fetch: inner });
const local = new EgressGuard({ allowPrivate: true, resolver, fetch: inner });

const CASES: [string, typeof fetch, string][] = [
  ["baseline (inner fetch)", inner, "https://mcp.example.com/mcp"],
  ["local mode", local.fetch, "https://mcp.example.com/mcp"],
  ["production, IP literal", production.fetch, "https://93.184.215.14/mcp"],
  ["production, cached name", production.fetch, "https://mcp.example.com/mcp"],
];

async function perRequestNs(send: typeof fetch, url: string): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) {
    await send(url, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
  }
  return Number(process.hrtime.bigint() - started) / ITERATIONS;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

const samples = new Map<string, number[]>(CASES.map(([name]) => [name, []]));
for (const [, send, url] of CASES) await perRequestNs(send, url); // warm-up
for (let round = 0; round < ROUNDS; round += 1) {
  // Interleaved, so drift on a shared machine hits every case alike.
  for (const [name, send, url] of CASES) samples.get(name)?.push(await perRequestNs(send, url));
}
const baseline = quantile(samples.get("baseline (inner fetch)") as number[], 0.5);
console.log(`egress guard, ${ITERATIONS} requests x ${ROUNDS} rounds (per request)`);
for (const [name] of CASES) {
  const values = samples.get(name) as number[];
  const median = quantile(values, 0.5);
  console.log(
    `${name.padEnd(26)} median ${(median / 1000).toFixed(2)} µs  p99 ${(quantile(values, 0.99) / 1000).toFixed(2)} µs  overhead ${((median - baseline) / 1000).toFixed(2)} µs`,
  );
}
