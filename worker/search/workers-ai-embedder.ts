// Embedder on Workers AI (production). `env.AI.run(model, { text: [...] })`
// answers `{ shape: [n, dims], data: number[][], pooling }`; failures reject
// with an error whose message is `<internal code>: <description>` (the
// binding's InferenceUpstreamError; codes in developers.cloudflare.com
// /workers-ai/platform/errors). BGE models get `pooling: "cls"`, which the
// model card recommends; the pooling is part of the vector space's name.
import { type Embedder, SearchBackendError } from "./ports.ts";

export const DEFAULT_WORKERS_AI_MODEL = "@cf/baai/bge-small-en-v1.5";

/** The part of the `Ai` binding this adapter uses. */
export interface WorkersAiBinding {
  run(model: string, inputs: Record<string, unknown>): Promise<unknown>;
}

/** Texts per call: the BGE models accept at most 100. */
const BATCH = 100;
/** Workers AI codes worth retrying later: timeout, aborted, out of capacity. */
const RETRYABLE_CODES = new Set([3007, 3008, 3040]);

function internalCode(error: unknown): number | null {
  const match = /^(\d{4}): /.exec(error instanceof Error ? error.message : "");
  return match ? Number(match[1]) : null;
}

export class WorkersAiEmbedder implements Embedder {
  readonly model: string;
  private readonly ai: WorkersAiBinding;
  private readonly modelName: string;
  private readonly pooling: "cls" | null;

  constructor(ai: WorkersAiBinding, model: string = DEFAULT_WORKERS_AI_MODEL) {
    this.ai = ai;
    this.modelName = model;
    this.pooling = model.startsWith("@cf/baai/bge-") ? "cls" : null;
    this.model = this.pooling ? `${model}#${this.pooling}` : model;
  }

  async embed(texts: string[]): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += BATCH) {
      vectors.push(...(await this.embedBatch(texts.slice(start, start + BATCH))));
    }
    return vectors;
  }

  private async embedBatch(texts: string[]): Promise<number[][]> {
    const inputs: Record<string, unknown> = { text: texts };
    if (this.pooling) inputs.pooling = this.pooling;
    let output: unknown;
    try {
      output = await this.ai.run(this.modelName, inputs);
    } catch (error) {
      const code = internalCode(error);
      const message = error instanceof Error ? error.message : String(error);
      throw new SearchBackendError("workers-ai", message, {
        retryable: code === null || RETRYABLE_CODES.has(code),
        cause: error,
      });
    }
    const data = (output as { data?: unknown } | null)?.data;
    if (
      !Array.isArray(data) ||
      data.length !== texts.length ||
      !data.every((row) => Array.isArray(row) && row.length > 0 && row.every((v) => typeof v === "number"))
    ) {
      throw new SearchBackendError("workers-ai", `unexpected response from ${this.modelName}: no embeddings`);
    }
    return data as number[][];
  }
}
