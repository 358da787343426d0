// The plain BM25 baseline of the data README, in memory, so every benchmark
// run measures it beside the gateway: one document per tool (tool name +
// description + server name + server description), lower-cased alphanumeric
// tokens with camelCase and snake_case split, a small stop-word list,
// k1 = 1.2, b = 0.75, every query term ORed.
import type { CorpusServer } from "./datasets.ts";

const STOP = new Set("a an and are as at be by for from in is it of on or that the this to with".split(" "));

export function baselineTokens(text: string): string[] {
  return text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((token) => token !== "" && !STOP.has(token));
}

export interface Bm25Hit {
  name: string;
  server: string;
  score: number;
}

export class PlainBm25 {
  private readonly docs: { name: string; server: string; tf: Map<string, number>; length: number }[] = [];
  private readonly df = new Map<string, number>();
  private readonly avgLength: number;
  private readonly k1 = 1.2;
  private readonly b = 0.75;

  constructor(servers: CorpusServer[]) {
    for (const server of servers) {
      for (const tool of server.tools) {
        const tokens = baselineTokens(
          `${tool.name} ${tool.description} ${server.name} ${server.description}`,
        );
        const tf = new Map<string, number>();
        for (const token of tokens) tf.set(token, (tf.get(token) ?? 0) + 1);
        for (const token of tf.keys()) this.df.set(token, (this.df.get(token) ?? 0) + 1);
        this.docs.push({ name: tool.name, server: server.slug, tf, length: tokens.length });
      }
    }
    this.avgLength = this.docs.reduce((sum, doc) => sum + doc.length, 0) / Math.max(1, this.docs.length);
  }

  search(query: string, limit: number): Bm25Hit[] {
    const terms = [...new Set(baselineTokens(query))];
    const n = this.docs.length;
    const hits: Bm25Hit[] = [];
    for (const doc of this.docs) {
      let score = 0;
      for (const term of terms) {
        const tf = doc.tf.get(term);
        if (!tf) continue;
        const df = this.df.get(term) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score +=
          (idf * tf * (this.k1 + 1)) / (tf + this.k1 * (1 - this.b + (this.b * doc.length) / this.avgLength));
      }
      if (score > 0) hits.push({ name: doc.name, server: doc.server, score });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, limit);
  }
}
