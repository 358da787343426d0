// The one place that picks the search adapters from configuration (called by
// services.ts). Local default: keyword search (FTS5 on D1) only. With an
// embedder configured, vectors go to Vectorize when the VECTORIZE binding
// exists (production) and to the local D1 index otherwise. A setting that
// names a missing binding fails loudly instead of silently degrading.
import { ConfigError } from "./env.ts";
import { Fts5KeywordIndex } from "./search/fts5-keyword-index.ts";
import { LocalVectorIndex } from "./search/local-vector-index.ts";
import { OpenAiEmbedder } from "./search/openai-embedder.ts";
import type { Embedder, KeywordIndex, VectorIndex } from "./search/ports.ts";
import type { VectorSearch } from "./search/search-service.ts";
import type { SearchSettings } from "./search/search-settings.ts";
import { type VectorizeBinding, VectorizeVectorIndex } from "./search/vectorize-vector-index.ts";
import { type WorkersAiBinding, WorkersAiEmbedder } from "./search/workers-ai-embedder.ts";

export interface SearchAdapters {
  keyword: KeywordIndex;
  /** Null: no embedder configured (keyword search only). */
  vectors: VectorSearch | null;
}

/** Bindings the search adapters may use; AI and VECTORIZE exist only in [env.production]. */
interface SearchBindings {
  DB: D1Database;
  AI?: unknown;
  VECTORIZE?: unknown;
}

export function searchAdapters(env: SearchBindings, settings: SearchSettings): SearchAdapters {
  const keyword = new Fts5KeywordIndex(env.DB);
  const embedder = chooseEmbedder(env, settings);
  if (!embedder) return { keyword, vectors: null };
  return { keyword, vectors: { embedder, index: chooseVectorIndex(env, settings, embedder) } };
}

function chooseEmbedder(env: SearchBindings, settings: SearchSettings): Embedder | null {
  const setting = settings.embedder;
  switch (setting.kind) {
    case "none":
      return null;
    case "workers-ai":
      if (!env.AI)
        throw new ConfigError("SEARCH_EMBEDDER: workers-ai needs the AI binding ([ai] in wrangler.toml)");
      return new WorkersAiEmbedder(env.AI as WorkersAiBinding, setting.model);
    case "openai":
      return new OpenAiEmbedder({
        baseUrl: setting.baseUrl,
        model: setting.model,
        apiKey: setting.apiKey ?? undefined,
      });
  }
}

function chooseVectorIndex(env: SearchBindings, settings: SearchSettings, embedder: Embedder): VectorIndex {
  const useVectorize =
    settings.vectorIndex === "vectorize" || (settings.vectorIndex === "auto" && env.VECTORIZE !== undefined);
  if (!useVectorize) return new LocalVectorIndex(env.DB, embedder.model);
  if (!env.VECTORIZE) {
    throw new ConfigError(
      "SEARCH_VECTOR_INDEX: vectorize needs the VECTORIZE binding ([[vectorize]] in wrangler.toml)",
    );
  }
  return new VectorizeVectorIndex(env.VECTORIZE as VectorizeBinding);
}
