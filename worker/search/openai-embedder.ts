// Embedder on any OpenAI-compatible `/v1/embeddings` endpoint (self-hosted
// servers such as text-embeddings-inference, vLLM, Ollama, LocalAI, or a
// hosted API). Request `{ model, input: [...], encoding_format: "float" }`;
// response `{ data: [{ index, embedding }] }`; errors `{ error: { message } }`
// with a 4xx/5xx status.
import { type Embedder, SearchBackendError } from "./ports.ts";

export interface OpenAiEmbedderOptions {
  /** Base URL up to and including the version, e.g. `http://127.0.0.1:8080/v1`. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  /** Texts per request. */
  batchSize?: number;
  fetch?: typeof fetch;
}

interface EmbeddingsResponse {
  data?: { index?: unknown; embedding?: unknown }[];
}

export class OpenAiEmbedder implements Embedder {
  readonly model: string;
  private readonly url: string;
  private readonly options: OpenAiEmbedderOptions;

  constructor(options: OpenAiEmbedderOptions) {
    this.options = options;
    this.model = options.model;
    this.url = `${options.baseUrl.replace(/\/+$/, "")}/embeddings`;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const batchSize = this.options.batchSize ?? 64;
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += batchSize) {
      vectors.push(...(await this.embedBatch(texts.slice(start, start + batchSize))));
    }
    return vectors;
  }

  private async embedBatch(texts: string[]): Promise<number[][]> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(this.url, {
        method: "POST",
        headers,
        body: JSON.stringify({ model: this.model, input: texts, encoding_format: "float" }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new SearchBackendError("openai-embeddings", `request failed: ${String(error)}`, {
        retryable: true,
        cause: error,
      });
    }
    const body = await response.text();
    if (!response.ok) {
      throw new SearchBackendError("openai-embeddings", `HTTP ${response.status}: ${errorMessage(body)}`, {
        retryable: response.status === 429 || response.status >= 500,
      });
    }
    let parsed: EmbeddingsResponse;
    try {
      parsed = JSON.parse(body) as EmbeddingsResponse;
    } catch {
      throw new SearchBackendError("openai-embeddings", "response is not JSON");
    }
    const vectors: number[][] = new Array(texts.length);
    for (const [position, item] of (parsed.data ?? []).entries()) {
      const index = typeof item.index === "number" ? item.index : position;
      const embedding = item.embedding;
      if (
        index < 0 ||
        index >= texts.length ||
        !Array.isArray(embedding) ||
        embedding.length === 0 ||
        !embedding.every((value) => typeof value === "number")
      ) {
        throw new SearchBackendError("openai-embeddings", "response holds an invalid embedding");
      }
      vectors[index] = embedding as number[];
    }
    if (vectors.filter(Boolean).length !== texts.length) {
      throw new SearchBackendError("openai-embeddings", `expected ${texts.length} embeddings`);
    }
    return vectors;
  }
}

/** The `error.message` of an OpenAI-style error body, else a short prefix of the body. */
function errorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    if (typeof parsed.error === "string") return parsed.error;
    if (typeof parsed.error?.message === "string") return parsed.error.message;
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 200);
}
