// Search quality in-process (Node-only; `npm run bench:search:offline`): the
// production indexing and search code (worker/search/) on Node's SQLite,
// no gateway. Seconds instead of minutes, so it is the loop for trying
// ranking ideas; the reported figures come from bench/search-bench.ts, which
// goes through a real gateway. It can also measure what the gateway cannot
// switch off at run time: the Porter stemmer (fixed by the migration).
//
//   node bench/offline-quality.ts [--metatool-queries 2000] [--ablations]
import { parseArgs } from "node:util";
import { buildDocuments } from "../worker/search/documents.ts";
import { Fts5KeywordIndex } from "../worker/search/fts5-keyword-index.ts";
import { DEFAULT_RANKING, RANKING_FEATURES, type RankingFeature } from "../worker/search/ranking.ts";
import { SearchService } from "../worker/search/search-service.ts";
import type { CatalogEntry, ServerRecord } from "../worker/store/registry-store.ts";
import { PlainBm25 } from "./bm25-baseline.ts";
import { type Dataset, loadLiveMcpBench, loadMetaTool } from "./datasets.ts";
import { type QualityScores, score } from "./metrics.ts";
import { NodeSqlDatabase } from "./sqlite-database.ts";

const { values: args } = parseArgs({
  options: {
    "metatool-queries": { type: "string", default: "2000" },
    ablations: { type: "boolean", default: false },
  },
});

const TENANT = "bench";
const MAX_QUERY_CHARS = 1_000;

/** Just the fields documents.ts reads from a registry record. */
function record(slug: string, name: string, description: string): ServerRecord {
  return {
    id: crypto.randomUUID(),
    tenant: TENANT,
    name,
    path: slug,
    description,
    tags: [],
    enabled: true,
    lifecycle: "active",
    catalog: { serverInfo: null },
  } as unknown as ServerRecord;
}

async function indexDataset(dataset: Dataset, features: Set<RankingFeature>, tokenizer?: string) {
  const db = new NodeSqlDatabase(tokenizer ? { tokenizer } : {});
  const keyword = new Fts5KeywordIndex(db);
  const settings = { ...DEFAULT_RANKING, features };
  for (const server of dataset.servers) {
    const catalog: CatalogEntry[] = server.tools.map((tool) => ({
      kind: "tool",
      key: tool.name,
      definition: { name: tool.name, description: tool.description, inputSchema: tool.inputSchema },
      fingerprint: "",
    }));
    const stored = record(server.slug, server.name, server.description);
    await keyword.replaceServer(TENANT, stored.id, await buildDocuments(stored, catalog, settings));
  }
  return new SearchService({ keyword, vectors: null, settings });
}

async function evaluate(dataset: Dataset, service: SearchService): Promise<QualityScores> {
  const rankings = [];
  for (const query of dataset.queries) {
    const outcome = await service.search({
      tenant: TENANT,
      query: query.text.slice(0, MAX_QUERY_CHARS),
      types: ["tool"],
      limit: 20,
      allow: () => true,
    });
    rankings.push({ ranked: outcome.results.map((result) => result.name), relevant: query.relevant });
  }
  return score(rankings);
}

const f = (value: number) => value.toFixed(3);

function line(label: string, live: QualityScores, meta: QualityScores): string {
  return `| ${label} | ${f(live["recall@5"])} | ${f(live["recall@10"])} | ${f(live["recall@20"])} | ${f(live["ndcg@10"])} | ${f(live.mrr)} | ${f(meta["hit@1"])} | ${f(meta["hit@5"])} | ${f(meta["hit@10"])} |`;
}

const live = await loadLiveMcpBench();
const meta = await loadMetaTool(Number(args["metatool-queries"]));
console.log("| configuration | R@5 | R@10 | R@20 | nDCG@10 | MRR | hit@1 | hit@5 | hit@10 |");
console.log("|---|---|---|---|---|---|---|---|---|");
const baseline = (dataset: Dataset) => {
  const bm25 = new PlainBm25(dataset.servers);
  return score(
    dataset.queries.map((query) => ({
      ranked: bm25.search(query.text.slice(0, MAX_QUERY_CHARS), 20).map((hit) => hit.name),
      relevant: query.relevant,
    })),
  );
};
console.log(line("plain BM25 baseline (README)", baseline(live), baseline(meta)));

const all = new Set(RANKING_FEATURES);
const configurations: { label: string; features: Set<RankingFeature>; tokenizer?: string }[] = [
  { label: "all mechanisms (default)", features: all },
];
if (args.ablations) {
  for (const feature of RANKING_FEATURES) {
    configurations.push({
      label: `without ${feature}`,
      features: new Set(RANKING_FEATURES.filter((other) => other !== feature)),
    });
  }
  configurations.push({
    label: "without stemming",
    features: all,
    tokenizer: "unicode61 remove_diacritics 2",
  });
  configurations.push({ label: "none (plain FTS5 bm25)", features: new Set() });
}
for (const { label, features, tokenizer } of configurations) {
  const liveScores = await evaluate(live, await indexDataset(live, features, tokenizer));
  const metaScores = await evaluate(meta, await indexDataset(meta, features, tokenizer));
  console.log(line(label, liveScores, metaScores));
}
