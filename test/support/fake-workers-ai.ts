// A fake of the Workers AI binding (`env.AI`) for text-embedding models,
// reproducing the recorded shapes: `run(model, { text, pooling? })` resolves
// to `{ shape: [n, dims], data: number[][], pooling }`, and failures reject
// with an InferenceUpstreamError whose message is `<internal code>:
// <description>` (workerd src/cloudflare/internal/ai-api.ts; codes from
// developers.cloudflare.com/workers-ai/platform/errors). Vectors come from
// hashEmbedding, so similar texts are near each other.
import { HASH_EMBEDDING_DIMENSIONS, hashEmbedding } from "./hash-embedding.ts";

export class InferenceUpstreamError extends Error {
  constructor(message: string, name = "InferenceUpstreamError") {
    super(message);
    this.name = name;
  }
}

export interface FakeWorkersAiOptions {
  models?: string[];
  /** Largest `text` array accepted (the BGE models take 100). */
  maxBatch?: number;
}

export class FakeWorkersAi {
  readonly calls: { model: string; inputs: Record<string, unknown> }[] = [];
  /** Set to make the next call fail like the daily free allocation running out. */
  failNext: "daily-limit" | "capacity" | null = null;
  private readonly models: Set<string>;
  private readonly maxBatch: number;

  constructor(options: FakeWorkersAiOptions = {}) {
    this.models = new Set(options.models ?? ["@cf/baai/bge-small-en-v1.5", "@cf/baai/bge-base-en-v1.5"]);
    this.maxBatch = options.maxBatch ?? 100;
  }

  async run(model: string, inputs: Record<string, unknown>): Promise<unknown> {
    this.calls.push({ model, inputs });
    const failure = this.failNext;
    this.failNext = null;
    if (failure === "daily-limit") {
      throw new InferenceUpstreamError(
        "3036: You have used up your daily free allocation of 10,000 neurons. Please upgrade to Cloudflare's Workers Paid plan if you would like to continue usage.",
      );
    }
    if (failure === "capacity") {
      throw new InferenceUpstreamError("3040: No more data centers to forward the request to");
    }
    if (!this.models.has(model)) throw new InferenceUpstreamError(`5007: No such model ${model} or task`);
    const text = inputs.text;
    const texts = typeof text === "string" ? [text] : text;
    if (!Array.isArray(texts) || texts.some((item) => typeof item !== "string")) {
      throw new InferenceUpstreamError("5006: Error: required properties at '/' are 'text'", "InvalidInput");
    }
    if (texts.length > this.maxBatch) throw new InferenceUpstreamError("3006: Request is too large");
    const pooling = inputs.pooling === "cls" ? "cls" : "mean";
    const data = (texts as string[]).map((item) => hashEmbedding(item));
    return { shape: [data.length, HASH_EMBEDDING_DIMENSIONS], data, pooling };
  }
}
