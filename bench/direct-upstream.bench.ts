// CPU of one upstream tools/call conversation of the aggregated endpoint,
// without any network: the SDK client path (upstream/upstream-client.ts: a
// client, its transport and message maps, the SDK's schema checks, closing)
// against the direct path (upstream/direct-exchange.ts), both talking to the
// same in-memory upstream that answers a recorded tools/call result, for a
// 2026-07-28 upstream (known verdict) and a resumed 2025 session.
//
//   npm exec -- node bench/direct-upstream.bench.ts [--iterations 5000 --rounds 5]
//
// Prints the median per call of each path over interleaved rounds.
import { parseArgs } from "node:util";
import { DirectConversation, type DirectRoute } from "../worker/upstream/direct-exchange.ts";
import {
  type Negotiation,
  nextIdBase,
  UpstreamConnection,
  type UpstreamSession,
} from "../worker/upstream/upstream-client.ts";

const { values: options } = parseArgs({
  options: {
    iterations: { type: "string", default: "5000" },
    rounds: { type: "string", default: "5" },
  },
});
const ITERATIONS = Number(options.iterations);
const ROUNDS = Number(options.rounds);

const URL_ = "https://upstream.example/mcp";
const DISCOVER = { supportedVersions: ["2026-07-28"], capabilities: { tools: {} } };
const SESSION: UpstreamSession = { sessionId: "bench-session", protocolVersion: "2025-06-18" };
const REQUEST = {
  method: "tools/call",
  params: { name: "word_count", arguments: { text: "one two three" } },
};

/** An upstream in memory: answers every POST with the recorded result for the request's id. */
function upstream(modern: boolean): typeof fetch {
  return async (_input, init) => {
    if (init?.method !== "POST") return new Response(null, { status: 200 });
    const { id } = JSON.parse(String(init.body)) as { id: number };
    const result = {
      content: [{ type: "text", text: "3 words" }],
      ...(modern && {
        resultType: "complete",
        _meta: { "io.modelcontextprotocol/serverInfo": { name: "demo", version: "1.0.0" } },
      }),
    };
    return new Response(JSON.stringify({ jsonrpc: "2.0", id, result }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  };
}

type Path = (signal: AbortSignal) => Promise<unknown>;

function sdkPath(modern: boolean): Path {
  const fetchFn = upstream(modern);
  const negotiation = (modern ? { kind: "modern", discover: DISCOVER } : "legacy") as Negotiation;
  return async (signal) => {
    const connection = new UpstreamConnection(
      { url: URL_, transport: "streamable-http" },
      { signal, negotiation, fetch: fetchFn, ...(!modern && { resume: SESSION }) },
    );
    await connection.connect({ signal, timeout: 10_000 });
    const result = await connection.request(REQUEST, { signal, timeout: 10_000 });
    await connection.close(false);
    return result;
  };
}

function directPath(modern: boolean): Path {
  const fetchFn = upstream(modern);
  return async (signal) => {
    const route: DirectRoute = modern
      ? { era: "modern", version: "2026-07-28" }
      : { era: "session", session: SESSION, idBase: nextIdBase() };
    const conversation = new DirectConversation({ url: URL_, headers: {} }, route, {
      signal,
      fetch: fetchFn,
      handover: () => {
        throw new Error("the recorded answer is plain: no hand-over expected");
      },
    });
    const result = await conversation.request(REQUEST, { signal, timeout: 10_000 });
    await conversation.close(false);
    return result;
  };
}

async function timeRound(path: Path): Promise<number> {
  const signal = new AbortController().signal;
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i++) await path(signal);
  return ((performance.now() - started) * 1000) / ITERATIONS;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const paths: [string, Path][] = [
  ["SDK client, 2026-07-28 upstream", sdkPath(true)],
  ["direct,     2026-07-28 upstream", directPath(true)],
  ["SDK client, resumed 2025 session", sdkPath(false)],
  ["direct,     resumed 2025 session", directPath(false)],
];
const rounds = new Map<string, number[]>(paths.map(([name]) => [name, []]));
for (const [, path] of paths) await timeRound(path); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, path] of paths) rounds.get(name)?.push(await timeRound(path));
}
console.log(`upstream tools/call conversation, ${ITERATIONS} calls x ${ROUNDS} rounds (median µs per call)`);
for (const [name] of paths) console.log(`  ${name}: ${median(rounds.get(name) ?? []).toFixed(1)} µs`);
