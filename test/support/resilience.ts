// The resilience layer takes its bindings and settings as one value; tests
// build it from whichever bindings object they run with.
import { loadConfig } from "../../worker/env.ts";
import type { ResilienceDeps } from "../../worker/resilience/settings.ts";

export function resilienceDeps(bindings: Env): ResilienceDeps {
  return { env: bindings, settings: loadConfig(bindings).resilience };
}
