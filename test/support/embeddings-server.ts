// Vitest global setup: a tiny OpenAI-compatible embeddings server on loopback
// (POST /v1/embeddings), so the OpenAI-compatible embedder is tested over
// real HTTP. Vectors come from hashEmbedding. `model: "broken"` answers 500
// with an OpenAI-style error body; a missing or wrong bearer key, 401.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { hashEmbedding } from "./hash-embedding.ts";
import { readBody } from "./http-body.ts";

export const EMBEDDINGS_API_KEY = "test-embeddings-key";

declare module "vitest" {
  export interface ProvidedContext {
    embeddingsUrl: string;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function error(response: ServerResponse, status: number, message: string, type: string): void {
  send(response, status, { error: { message, type, param: null, code: null } });
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "POST" || request.url !== "/v1/embeddings") {
    return error(response, 404, "Not found", "invalid_request_error");
  }
  if (request.headers.authorization !== `Bearer ${EMBEDDINGS_API_KEY}`) {
    return error(response, 401, "Incorrect API key provided", "invalid_request_error");
  }
  let body: { model?: unknown; input?: unknown };
  try {
    body = JSON.parse(await readBody(request)) as typeof body;
  } catch {
    return error(response, 400, "We could not parse the JSON body of your request.", "invalid_request_error");
  }
  if (body.model === "broken") return error(response, 500, "The server had an error", "server_error");
  const inputs = typeof body.input === "string" ? [body.input] : body.input;
  if (!Array.isArray(inputs) || inputs.some((input) => typeof input !== "string")) {
    return error(response, 400, "'input' must be a string or an array of strings", "invalid_request_error");
  }
  // Answer in reverse order: clients must place embeddings by `index`.
  const data = (inputs as string[])
    .map((input, index) => ({ object: "embedding", index, embedding: hashEmbedding(input) }))
    .reverse();
  const tokens = (inputs as string[]).join(" ").split(/\s+/).length;
  send(response, 200, {
    object: "list",
    data,
    model: body.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

export default async function setup(project: TestProject) {
  const server = createServer((request, response) => {
    handle(request, response).catch(() => error(response, 500, "internal", "server_error"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("embeddingsUrl", `http://127.0.0.1:${port}/v1`);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
