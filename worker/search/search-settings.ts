// The search settings among the Worker's vars (parsed in env.ts with the rest
// of the configuration): which embedder and vector index to use, fusion
// weights, and ranking features switched off for measurements.
import { z } from "zod";
import { DEFAULT_RANKING, parseFeaturesOff, RANKING_FEATURES, type RankingSettings } from "./ranking.ts";
import { DEFAULT_WORKERS_AI_MODEL } from "./workers-ai-embedder.ts";

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const weight = z.coerce.number().min(0, "must be 0 or more").max(100, "must be at most 100");

/** Spread into the configuration schema in env.ts. */
export const SearchSettingsShape = {
  /** `none` (keyword search only), `workers-ai` (binding AI) or `openai` (an OpenAI-compatible endpoint). */
  SEARCH_EMBEDDER: z.enum(["none", "workers-ai", "openai"]).default("none"),
  /** Model name; default `@cf/baai/bge-small-en-v1.5` for workers-ai, required for openai. */
  SEARCH_EMBEDDING_MODEL: optional(z.string().min(1).max(200)),
  /** Base URL of the OpenAI-compatible API, e.g. `http://127.0.0.1:8080/v1`. */
  SEARCH_EMBEDDING_URL: optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  /** Secret: bearer key for the OpenAI-compatible API. */
  SEARCH_EMBEDDING_API_KEY: optional(z.string().min(1)),
  /** `auto`: Vectorize when the VECTORIZE binding exists, else the local (D1) index. */
  SEARCH_VECTOR_INDEX: z.enum(["auto", "local", "vectorize"]).default("auto"),
  SEARCH_KEYWORD_WEIGHT: optional(weight),
  SEARCH_VECTOR_WEIGHT: optional(weight),
  /** Comma-separated ranking features to switch off (benchmarks use it for ablations). */
  SEARCH_RANKING_OFF: optional(
    z.string().refine(
      (value) => {
        try {
          parseFeaturesOff(value);
          return true;
        } catch {
          return false;
        }
      },
      { error: `must list features among: ${RANKING_FEATURES.join(", ")}` },
    ),
  ),
};

type SearchValues = z.output<z.ZodObject<typeof SearchSettingsShape>>;

export type EmbedderSetting =
  | { kind: "none" }
  | { kind: "workers-ai"; model: string }
  | { kind: "openai"; model: string; baseUrl: string; apiKey: string | null };

export interface SearchSettings {
  embedder: EmbedderSetting;
  vectorIndex: "auto" | "local" | "vectorize";
  ranking: RankingSettings;
}

/** Cross-field rules, reported against the setting that must change. */
export function checkSearchValues(values: SearchValues, ctx: z.RefinementCtx): void {
  if (values.SEARCH_EMBEDDER !== "openai") return;
  if (!values.SEARCH_EMBEDDING_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["SEARCH_EMBEDDING_URL"],
      message: "is required when SEARCH_EMBEDDER is openai",
    });
  }
  if (!values.SEARCH_EMBEDDING_MODEL) {
    ctx.addIssue({
      code: "custom",
      path: ["SEARCH_EMBEDDING_MODEL"],
      message: "is required when SEARCH_EMBEDDER is openai",
    });
  }
}

export function searchSettings(values: SearchValues): SearchSettings {
  const off = parseFeaturesOff(values.SEARCH_RANKING_OFF);
  const ranking: RankingSettings = {
    ...DEFAULT_RANKING,
    features: new Set(RANKING_FEATURES.filter((feature) => !off.has(feature))),
    keywordWeight: values.SEARCH_KEYWORD_WEIGHT ?? DEFAULT_RANKING.keywordWeight,
    vectorWeight: values.SEARCH_VECTOR_WEIGHT ?? DEFAULT_RANKING.vectorWeight,
  };
  let embedder: EmbedderSetting = { kind: "none" };
  if (values.SEARCH_EMBEDDER === "workers-ai") {
    embedder = { kind: "workers-ai", model: values.SEARCH_EMBEDDING_MODEL ?? DEFAULT_WORKERS_AI_MODEL };
  } else if (values.SEARCH_EMBEDDER === "openai") {
    embedder = {
      kind: "openai",
      model: values.SEARCH_EMBEDDING_MODEL ?? "",
      baseUrl: values.SEARCH_EMBEDDING_URL ?? "",
      apiKey: values.SEARCH_EMBEDDING_API_KEY ?? null,
    };
  }
  return { embedder, vectorIndex: values.SEARCH_VECTOR_INDEX, ranking };
}
