// The OpenAPI document exactly as the gateway serves it at
// GET /api/v1/openapi.json: the Worker's app is built in Node (through
// scripts/worker-module-hooks.ts) and asked for it, so nothing is written
// twice. Needs `node --experimental-transform-types` (the Worker uses
// TypeScript parameter properties).
import { register } from "node:module";

export async function openApiDocument(): Promise<Record<string, unknown>> {
  register("./worker-module-hooks.ts", import.meta.url);
  const { buildApp } = await import("../worker/app.ts");
  // The document does not depend on configuration; development needs no PUBLIC_URL.
  const env = { ENVIRONMENT: "development" } as unknown as Env;
  const response = await buildApp().request("/api/v1/openapi.json", {}, env);
  if (response.status !== 200)
    throw new Error(`GET /api/v1/openapi.json answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}
