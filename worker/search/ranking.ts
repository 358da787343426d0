// Ranking settings: which mechanisms are on (all of them by default; the
// benchmarks switch them off one at a time to measure each), field weights
// and blend factors. Values were chosen on the benchmark data in
// ../shared/data/tool-retrieval and are reported, with what each mechanism
// adds, in bench/search.md.
import type { FieldName } from "./ports.ts";

export const RANKING_FEATURES = [
  /** camelCase identifiers split into words (index and query). */
  "identifiers",
  /** Stop words and request phrasing dropped from queries. */
  "stopwords",
  /** Query terms expanded with equivalent words (lexicon.ts). */
  "synonyms",
  /** Paths and URLs in a query become `file` / `url` hints. */
  "entities",
  /** The user's own terms weigh twice as much as expansions. */
  "term-weights",
  /** Tuned per-field BM25 weights instead of 1 everywhere. */
  "field-weights",
  /** Servers are ranked first and a tool inherits part of its server's score. */
  "two-stage",
  /** Descriptions split into a lead (first sentence) and the rest, weighted apart. */
  "description-lead",
] as const;

export type RankingFeature = (typeof RANKING_FEATURES)[number];

export interface RankingSettings {
  features: ReadonlySet<RankingFeature>;
  /** Weight of the server's BM25 in its tools' scores (both normalised). */
  serverBoost: number;
  /** Keyword candidates read per query for fusion with the vector ranking. */
  candidates: number;
  /** Reciprocal-rank fusion constant. */
  rrfK: number;
  /** Fusion weights of the keyword and vector rankings. */
  keywordWeight: number;
  vectorWeight: number;
  /** BM25 weights per field, used when the "field-weights" feature is on (1 elsewhere). */
  toolFields: Record<FieldName, number>;
  serverFields: Record<FieldName, number>;
}

const TOOL_WEIGHTS: Record<FieldName, number> = {
  name: 2,
  description: 1,
  details: 0.5,
  params: 0.5,
  server: 0.5,
  tags: 1,
  tools: 0,
};

const SERVER_WEIGHTS: Record<FieldName, number> = {
  name: 2,
  description: 1,
  details: 1,
  params: 0,
  server: 0,
  tags: 1,
  tools: 0.5,
};

export const DEFAULT_RANKING: RankingSettings = {
  features: new Set(RANKING_FEATURES),
  serverBoost: 0.5,
  candidates: 100,
  rrfK: 60,
  keywordWeight: 1,
  vectorWeight: 1,
  toolFields: TOOL_WEIGHTS,
  serverFields: SERVER_WEIGHTS,
};

/** Words in the description lead; the rest goes to `details`. */
export const LEAD_WORDS = 30;

export function toolFieldWeights(settings: RankingSettings): Partial<Record<FieldName, number>> {
  return settings.features.has("field-weights") ? settings.toolFields : {};
}

export function serverFieldWeights(settings: RankingSettings): Partial<Record<FieldName, number>> {
  return settings.features.has("field-weights") ? settings.serverFields : {};
}

/** `SEARCH_RANKING_OFF`: a comma-separated list of features to switch off (for measurements). */
export function parseFeaturesOff(value: string | undefined): Set<RankingFeature> {
  const off = new Set<RankingFeature>();
  for (const raw of (value ?? "").split(",")) {
    const name = raw.trim();
    if (name === "") continue;
    if (!(RANKING_FEATURES as readonly string[]).includes(name)) {
      throw new Error(`unknown ranking feature "${name}"; expected one of ${RANKING_FEATURES.join(", ")}`);
    }
    off.add(name as RankingFeature);
  }
  return off;
}
