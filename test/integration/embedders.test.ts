// The Embedder contract on the Workers AI adapter (against a fake binding
// with the recorded shapes) and on the OpenAI-compatible adapter (against a
// loopback HTTP server speaking that API), plus each adapter's error mapping.
import { describe, expect, inject, it } from "vitest";
import { OpenAiEmbedder } from "../../worker/search/openai-embedder.ts";
import { SearchBackendError } from "../../worker/search/ports.ts";
import { WorkersAiEmbedder } from "../../worker/search/workers-ai-embedder.ts";
import { describeEmbedderContract } from "../contract/embedder.contract.ts";
import { EMBEDDINGS_API_KEY } from "../support/embeddings-server.ts";
import { FakeWorkersAi } from "../support/fake-workers-ai.ts";

const embeddingsUrl = inject("embeddingsUrl");

describeEmbedderContract("Workers AI (fake binding)", async () => new WorkersAiEmbedder(new FakeWorkersAi()));
describeEmbedderContract(
  "OpenAI-compatible (loopback server)",
  async () => new OpenAiEmbedder({ baseUrl: embeddingsUrl, model: "hash-64", apiKey: EMBEDDINGS_API_KEY }),
);

describe("Workers AI embedder", () => {
  it("sends the recorded request shape: text array, cls pooling for BGE, default model", async () => {
    const ai = new FakeWorkersAi();
    const embedder = new WorkersAiEmbedder(ai);
    await embedder.embed(["a", "b"]);
    expect(ai.calls[0]).toEqual({
      model: "@cf/baai/bge-small-en-v1.5",
      inputs: { text: ["a", "b"], pooling: "cls" },
    });
    expect(embedder.model).toBe("@cf/baai/bge-small-en-v1.5#cls");
  });

  it("maps binding errors: capacity is retryable, an unknown model is not", async () => {
    const ai = new FakeWorkersAi();
    ai.failNext = "capacity";
    const capacity = await new WorkersAiEmbedder(ai).embed(["x"]).catch((error: unknown) => error);
    expect(capacity).toBeInstanceOf(SearchBackendError);
    expect((capacity as SearchBackendError).retryable).toBe(true);
    expect((capacity as Error).message).toMatch(/3040/);
    const unknown = await new WorkersAiEmbedder(ai, "@cf/no/such-model")
      .embed(["x"])
      .catch((error: unknown) => error);
    expect((unknown as SearchBackendError).retryable).toBe(false);
    expect((unknown as Error).message).toMatch(/5007: No such model/);
  });

  it("refuses a response without embeddings", async () => {
    const embedder = new WorkersAiEmbedder({ run: async () => ({ request_id: "queued" }) });
    await expect(embedder.embed(["x"])).rejects.toThrow(/no embeddings/);
  });
});

describe("OpenAI-compatible embedder", () => {
  it("reports server errors as retryable and refused credentials as not", async () => {
    const broken = new OpenAiEmbedder({
      baseUrl: embeddingsUrl,
      model: "broken",
      apiKey: EMBEDDINGS_API_KEY,
    });
    const failure = await broken.embed(["x"]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SearchBackendError);
    expect((failure as SearchBackendError).retryable).toBe(true);
    expect((failure as Error).message).toMatch(/HTTP 500: The server had an error/);

    const anonymous = new OpenAiEmbedder({ baseUrl: embeddingsUrl, model: "hash-64" });
    const refused = await anonymous.embed(["x"]).catch((error: unknown) => error);
    expect((refused as SearchBackendError).retryable).toBe(false);
    expect((refused as Error).message).toMatch(/HTTP 401/);
  });

  it("reports an unreachable endpoint as retryable", async () => {
    const embedder = new OpenAiEmbedder({
      baseUrl: embeddingsUrl,
      model: "m",
      fetch: async () => {
        throw new TypeError("fetch failed");
      },
    });
    const failure = await embedder.embed(["x"]).catch((error: unknown) => error);
    expect((failure as SearchBackendError).retryable).toBe(true);
  });
});
