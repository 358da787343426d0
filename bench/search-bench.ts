// Search benchmarks (Node-only; `npm run bench:search`). Quality: each corpus
// of ../shared/data/tool-retrieval is served by a loopback MCP server,
// registered in a real local gateway (`wrangler dev`, local D1), and every
// query goes to GET /api/v1/search over HTTP; the plain-BM25 baseline of the
// data README runs in the same process on the same queries. Ablations restart
// the gateway with one ranking mechanism off (SEARCH_RANKING_OFF) and
// reindex. Latency: synthetic catalogs of 1,000 and 10,000 tools, p50/p99
// per search, against the same gateway with every mechanism off.
//
//   node bench/search-bench.ts [--part quality|latency|all] [--no-ablations]
//     [--metatool-queries 2000] [--latency-tools 1000,10000] [--latency-queries 300] [--json out.json]
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { RANKING_FEATURES } from "../worker/search/ranking.ts";
import { PlainBm25 } from "./bm25-baseline.ts";
import { type CorpusMcpServer, startCorpusServer } from "./corpus-server.ts";
import {
  type BenchQuery,
  type CorpusServer,
  type Dataset,
  dataDir,
  loadLiveMcpBench,
  loadMetaTool,
} from "./datasets.ts";
import { GatewaySession } from "./gateway-session.ts";
import { percentile, type QualityScores, score } from "./metrics.ts";

const { values: args } = parseArgs({
  options: {
    part: { type: "string", default: "all" },
    "no-ablations": { type: "boolean", default: false },
    "metatool-queries": { type: "string", default: "2000" },
    "latency-tools": { type: "string", default: "1000,10000" },
    "latency-queries": { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    /** Extra gateway vars, e.g. SEARCH_EMBEDDER=openai,SEARCH_EMBEDDING_URL=http://127.0.0.1:8080/v1,... */
    "gateway-vars": { type: "string", default: "" },
    json: { type: "string" },
  },
});

const GATEWAY_VARS: Record<string, string> = Object.fromEntries(
  (args["gateway-vars"] ?? "")
    .split(",")
    .filter((pair) => pair.includes("="))
    .map((pair) => [pair.slice(0, pair.indexOf("=")).trim(), pair.slice(pair.indexOf("=") + 1).trim()]),
);

/** The API caps queries at 1,000 characters; one LiveMCPBench task is longer. Both sides see the same text. */
const MAX_QUERY_CHARS = 1_000;
const RESULTS = 20;
const ALL_OFF = RANKING_FEATURES.join(",");

interface Row {
  label: string;
  scores: QualityScores;
  clientP50: number;
  clientP99: number;
  serverP50: number;
  serverP99: number;
}

const report: Record<string, unknown> = { dataDir: dataDir(), startedAt: new Date().toISOString() };

function truncate(query: BenchQuery): BenchQuery {
  return { ...query, text: query.text.slice(0, MAX_QUERY_CHARS) };
}

async function runQueries(session: GatewaySession, queries: BenchQuery[], label: string): Promise<Row> {
  const rankings: { ranked: string[]; relevant: string[] }[] = [];
  const modes = new Set<string>();
  const client: number[] = [];
  const server: number[] = [];
  for (const query of queries) {
    const call = await session.search(query.text, RESULTS);
    modes.add(call.mode);
    rankings.push({ ranked: call.names, relevant: query.relevant });
    client.push(call.clientMs);
    server.push(call.serverMs);
  }
  return {
    label: modes.has("hybrid") ? `${label} [hybrid]` : label,
    scores: score(rankings),
    clientP50: percentile(client, 50),
    clientP99: percentile(client, 99),
    serverP50: percentile(server, 50),
    serverP99: percentile(server, 99),
  };
}

function baselineRow(dataset: Dataset, queries: BenchQuery[]): Row {
  const bm25 = new PlainBm25(dataset.servers);
  const rankings = queries.map((query) => ({
    ranked: bm25.search(query.text, RESULTS).map((hit) => hit.name),
    relevant: query.relevant,
  }));
  const nan = Number.NaN;
  return {
    label: "plain BM25 baseline (README)",
    scores: score(rankings),
    clientP50: nan,
    clientP99: nan,
    serverP50: nan,
    serverP99: nan,
  };
}

const f3 = (value: number) => (Number.isNaN(value) ? "  -  " : value.toFixed(3));
const f1 = (value: number) => (Number.isNaN(value) ? "  -" : value.toFixed(1));

function printQuality(title: string, metrics: (keyof QualityScores)[], rows: Row[], baseline: Row): void {
  console.log(`\n## ${title}\n`);
  const header = ["configuration", ...metrics, ...metrics.map((m) => `${m} vs BM25`), "p50 ms", "p99 ms"];
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const row of [baseline, ...rows]) {
    const values = metrics.map((metric) => f3(row.scores[metric]));
    const ratios = metrics.map((metric) => `×${(row.scores[metric] / baseline.scores[metric]).toFixed(2)}`);
    console.log(`| ${[row.label, ...values, ...ratios, f1(row.clientP50), f1(row.clientP99)].join(" | ")} |`);
  }
}

async function quality(corpus: CorpusMcpServer): Promise<void> {
  const live = await loadLiveMcpBench();
  const meta = await loadMetaTool(Number(args["metatool-queries"]));
  const sets: { dataset: Dataset; metrics: (keyof QualityScores)[]; title: string }[] = [
    {
      dataset: live,
      metrics: ["recall@5", "recall@10", "recall@20", "ndcg@10", "mrr"],
      title: `LiveMCPBench (${live.queries.length} tasks, ${live.servers.length} servers, ${countTools(live.servers)} tools)`,
    },
    {
      dataset: meta,
      metrics: ["hit@1", "hit@5", "hit@10"],
      title: `MetaTool (${meta.queries.length} queries, ${countTools(meta.servers)} tools)`,
    },
  ];
  const configurations: { label: string; off: string }[] = [{ label: "all mechanisms (default)", off: "" }];
  if (!args["no-ablations"]) {
    for (const feature of RANKING_FEATURES)
      configurations.push({ label: `without ${feature}`, off: feature });
    configurations.push({ label: "none (plain FTS5 bm25, OR of terms)", off: ALL_OFF });
  }
  const results: Record<string, unknown> = {};
  for (const { dataset, metrics, title } of sets) {
    const queries = dataset.queries.map(truncate);
    const endpoints = corpus.add(dataset.id, dataset.servers);
    const session = new GatewaySession();
    const rows: Row[] = [];
    try {
      await session.start(GATEWAY_VARS);
      const started = performance.now();
      await session.register(dataset.servers, endpoints, dataset.id === "livemcpbench" ? "lv" : "mt");
      console.error(
        `${dataset.id}: registered ${dataset.servers.length} servers in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      for (const [index, configuration] of configurations.entries()) {
        if (index > 0) await session.restart({ ...GATEWAY_VARS, SEARCH_RANKING_OFF: configuration.off });
        rows.push(await runQueries(session, queries, configuration.label));
        console.error(`${dataset.id}: ${configuration.label} done`);
      }
    } finally {
      await session.stop();
    }
    const baseline = baselineRow(dataset, queries);
    printQuality(title, metrics, rows, baseline);
    results[dataset.id] = { baseline, rows };
  }
  report.quality = results;
}

/** Per column, the median over rounds (the rounds' quality scores are identical). */
function medianRow(rounds: Row[], label: string): Row {
  const median = (pick: (row: Row) => number) => percentile(rounds.map(pick), 50);
  return {
    label,
    scores: (rounds[0] as Row).scores,
    clientP50: median((row) => row.clientP50),
    clientP99: median((row) => row.clientP99),
    serverP50: median((row) => row.serverP50),
    serverP99: median((row) => row.serverP99),
  };
}

function countTools(servers: CorpusServer[]): number {
  return servers.reduce((sum, server) => sum + server.tools.length, 0);
}

/** `total` tools in servers of 50, cycling through the real corpora's tools. */
function syntheticCorpus(total: number, sources: CorpusServer[]): CorpusServer[] {
  const pool = sources.flatMap((server) => server.tools.map((tool) => ({ tool, server })));
  const servers: CorpusServer[] = [];
  for (let made = 0, index = 0; made < total; index++) {
    const size = Math.min(50, total - made);
    // Suffixed with the position, so names are unique within a server.
    const tools = Array.from({ length: size }, (_, i) => {
      const { tool } = pool[(made + i) % pool.length] as (typeof pool)[number];
      return { ...tool, name: `${tool.name}_${made + i}` };
    });
    const origin = pool[made % pool.length]?.server;
    servers.push({
      slug: `syn-${index}`,
      name: `${origin?.name ?? "Synthetic"} ${index}`,
      description: origin?.description ?? "",
      tools,
    });
    made += size;
  }
  return servers;
}

async function latency(corpus: CorpusMcpServer): Promise<void> {
  const live = await loadLiveMcpBench();
  const meta = await loadMetaTool(Number(args["latency-queries"]));
  const queries = [...live.queries, ...meta.queries].slice(0, Number(args["latency-queries"])).map(truncate);
  const sizes = (args["latency-tools"] ?? "")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
  const rows: Record<string, unknown>[] = [];
  console.log(
    `\n## Search latency (${queries.length} queries x ${args.rounds} rounds per configuration, ${RESULTS} results each; median round)\n`,
  );
  console.log(
    "| tools | configuration | client p50 ms | client p99 ms | server p50 ms | server p99 ms | p50 vs plain |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const size of sizes) {
    const servers = syntheticCorpus(size, [...live.servers, ...meta.servers]);
    const endpoints = corpus.add(`syn${size}`, servers);
    const session = new GatewaySession();
    try {
      await session.start(GATEWAY_VARS);
      const started = performance.now();
      await session.register(servers, endpoints, `s${size}`);
      console.error(
        `latency: registered ${size} tools in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      const measured: Row[] = [];
      for (const [label, off] of [
        ["all mechanisms (default)", ""],
        ["none (plain FTS5 bm25)", ALL_OFF],
      ] as const) {
        if (off) await session.restart({ ...GATEWAY_VARS, SEARCH_RANKING_OFF: off });
        for (const query of queries.slice(0, 20)) await session.search(query.text, RESULTS); // warm-up
        // Each round runs every query once; the table shows the median round.
        const rounds: Row[] = [];
        for (let round = 0; round < Number(args.rounds); round++) {
          rounds.push(await runQueries(session, queries, label));
        }
        measured.push(medianRow(rounds, label));
      }
      const floor: number[] = [];
      for (let i = 0; i < queries.length; i++) floor.push(await session.health());
      const plain = measured[1] as Row;
      for (const row of measured) {
        console.log(
          `| ${size} | ${row.label} | ${f1(row.clientP50)} | ${f1(row.clientP99)} | ${f1(row.serverP50)} | ${f1(row.serverP99)} | ×${(row.clientP50 / plain.clientP50).toFixed(2)} |`,
        );
        rows.push({ tools: size, ...row });
      }
      console.log(
        `| ${size} | GET /health (HTTP floor of wrangler dev) | ${f1(percentile(floor, 50))} | ${f1(percentile(floor, 99))} | - | - | - |`,
      );
      rows.push({
        tools: size,
        label: "GET /health",
        clientP50: percentile(floor, 50),
        clientP99: percentile(floor, 99),
      });
    } finally {
      await session.stop();
    }
  }
  report.latency = rows;
}

const corpus = await startCorpusServer();
try {
  if (args.part === "quality" || args.part === "all") await quality(corpus);
  if (args.part === "latency" || args.part === "all") await latency(corpus);
} finally {
  await corpus.close();
}
if (args.json) {
  await writeFile(args.json, `${JSON.stringify(report, null, 2)}\n`);
  console.error(`wrote ${args.json}`);
}
