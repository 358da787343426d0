// The gateway's own work per MCP request, without any I/O: what the one
// ingress and the per-server wing do to a recorded request between reading
// the body and sending it upstream, and to the upstream's answer on the way
// back. Per request: parse and classify the body once (readJsonRpcBody), check
// the standard headers, decide every message with the one decide() through
// the edge's policy adapter, prepare what goes upstream (ids marked,
// refusals answered), and filter a recorded tools/list answer to what the
// caller may call. Authentication is in the figure as the hot path sees it:
// the real Authenticator with a personal access token already verified once
// (the verified-token cache in auth/authenticator.ts: digest of the token, cache hit, the token's
// row from TokenService's 5 s cache); the store behind it is in memory.
//
//   npm run bench:gateway-work [-- --iterations 20000 --rounds 5]
//
// Prints the median and p99 per request over interleaved rounds of the
// recorded mix, and each recorded request's median on its own.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import { Authenticator } from "../worker/auth/authenticator.ts";
import { JwksCache } from "../worker/auth/jwks-cache.ts";
import { signingKeys } from "../worker/auth/signing-keys.ts";
import { TokenService } from "../worker/auth/token-service.ts";
import { mcpAccess } from "../worker/edge/access.ts";
import { compilePolicy } from "../worker/policy/access-policy.ts";
import { parseScopesYaml } from "../worker/policy/scopes-yaml.ts";
import { readJsonRpcBody } from "../worker/protocol/jsonrpc.ts";
import { checkStandardHeaders } from "../worker/protocol/standard-headers.ts";
import { prepareOutgoing, rewriteIncomingJson } from "../worker/proxy/message-rewrite.ts";
import type { TokenStore, VendedTokenRecord } from "../worker/store/token-store.ts";
import { percentile } from "./metrics.ts";

const { values: options } = parseArgs({
  options: {
    iterations: { type: "string", default: "20000" },
    rounds: { type: "string", default: "5" },
  },
});
const ITERATIONS = Number(options.iterations);
const ROUNDS = Number(options.rounds);

const parsed = parseScopesYaml(readFileSync(resolve(import.meta.dirname, "../config/scopes.yml"), "utf8"));
if (!parsed.ok) throw new Error("config/scopes.yml does not parse");
const policy = compilePolicy(parsed.document);
const principal = {
  tenant: "default",
  issuer: "https://idp.example",
  subject: "bench-user",
  groups: ["mcp-registry-admin"],
  scopes: [],
  kind: "user" as const,
  credential: "idp" as const,
};

/** Requests as a client sends them (bodies and the headers the gateway reads). */
const RECORDED: { name: string; body: string; headers: Headers }[] = [
  {
    name: "tools/call (2025-06-18)",
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 42,
      method: "tools/call",
      params: { name: "word_count", arguments: { text: "the quick brown fox jumps over the lazy dog" } },
    }),
    headers: new Headers({ "mcp-protocol-version": "2025-06-18", "content-type": "application/json" }),
  },
  {
    name: "tools/call (2026-07-28)",
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: "c-7",
      method: "tools/call",
      params: {
        name: "word_count",
        arguments: { text: "a b c" },
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientCapabilities": {},
          "io.modelcontextprotocol/clientInfo": { name: "agent", version: "1" },
        },
      },
    }),
    headers: new Headers({
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": "word_count",
    }),
  },
  {
    name: "tools/list (2025-06-18)",
    body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list", params: {} }),
    headers: new Headers({ "mcp-protocol-version": "2025-06-18" }),
  },
  {
    name: "initialize",
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "agent", version: "1" },
      },
    }),
    headers: new Headers(),
  },
];

/** A recorded tools/list answer (the demo backend's shape, 12 tools). */
const TOOLS_ANSWER = {
  jsonrpc: "2.0",
  id: "gw:tl:3",
  result: {
    tools: Array.from({ length: 12 }, (_, index) => ({
      name: index === 0 ? "word_count" : `tool_${index}`,
      description: "Counts words in a text, and other things a tool says about itself.",
      inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
    })),
  },
};

const guard = () => mcpAccess(policy, principal).forServer("demo");

// A gateway signing key, a token store in memory, and one personal access token.
const { privateKey } = await generateKeyPair("ES256", { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: "bench" };
const rows = new Map<string, VendedTokenRecord>();
const store = {
  insertToken: async (record: VendedTokenRecord) => void rows.set(record.id, record),
  getToken: async (_tenant: string, id: string) => rows.get(id) ?? null,
  countTokensSince: async () => 0,
} as unknown as TokenStore;
const keys = () => signingKeys(signingKey, null);
const tokens = new TokenService({ store, keys, maxLifetimeSeconds: 3600, mintsPerMinute: 100 });
const authenticator = new Authenticator({
  settings: {
    issuers: [],
    maxTokenBytes: 8192,
    signingKey,
    previousSigningKey: null,
    tokenMaxLifetimeSeconds: 3600,
    tokenMintsPerMinute: 100,
    devLogin: null,
  },
  publicUrl: null,
  jwks: new JwksCache(),
  tokens,
  keys,
});
const REQUEST_URL = "http://gateway.bench/demo/mcp";
const { token } = await tokens.mint(
  { ...principal, credential: "dev-login" },
  { name: "bench", scopes: [] },
  [],
  "http://gateway.bench",
);

/** One request's gateway work, as the per-server endpoint does it. */
async function work(recorded: (typeof RECORDED)[number]): Promise<number> {
  const caller = await authenticator.authenticate(token, REQUEST_URL);
  if (caller.subject !== principal.subject) throw new Error("authentication");
  const read = readJsonRpcBody(recorded.body);
  if ("error" in read) throw read.error;
  if (checkStandardHeaders(recorded.headers, read.body) !== null)
    throw new Error(`${recorded.name}: headers`);
  const access = guard();
  const prepared = prepareOutgoing(read.body.messages, access);
  const payload = JSON.stringify(read.body.batch ? prepared.forward : prepared.forward[0]);
  let size = payload.length;
  if (recorded.name.startsWith("tools/list")) {
    // The answer as it comes back: parsed by the runtime (response.json()), filtered, serialised.
    const answer = structuredClone(TOOLS_ANSWER);
    size += JSON.stringify(rewriteIncomingJson(answer, access)).length;
  }
  return size;
}

async function measure(recorded: (typeof RECORDED)[number], count: number): Promise<number[]> {
  const times: number[] = [];
  let sink = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    sink += await work(recorded);
    times.push(performance.now() - started);
  }
  if (sink < 0) console.log(sink);
  return times;
}

for (const recorded of RECORDED) await measure(recorded, 2_000); // warm-up (JIT, the token verified once)
const all: number[] = [];
const byName = new Map<string, number[]>(RECORDED.map((recorded) => [recorded.name, []]));
const perRequest = Math.ceil(ITERATIONS / RECORDED.length);
for (let round = 0; round < ROUNDS; round++) {
  for (const recorded of RECORDED) {
    const times = await measure(recorded, perRequest);
    all.push(...times);
    byName.get(recorded.name)?.push(...times);
  }
}
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
console.log(
  `gateway work per request, ${all.length} requests in ${ROUNDS} interleaved rounds (Node ${process.version})`,
);
console.log(`  all recorded requests: median ${us(percentile(all, 50))}, p99 ${us(percentile(all, 99))}`);
for (const [name, times] of byName) {
  console.log(`  ${name.padEnd(26)} median ${us(percentile(times, 50))}, p99 ${us(percentile(times, 99))}`);
}
