// Node module hooks that let plain Node import the Worker's modules (for
// build-time scripts such as scripts/openapi-document.ts, never at runtime):
// the `cloudflare:` modules become inert stand-ins (nothing workerd-only is
// called while building the OpenAPI document), and text and JSON modules load
// the way wrangler's module rules and the bundler load them.
import { readFile } from "node:fs/promises";

const STAND_INS: Record<string, string> = {
  "cloudflare:workers": [
    "class Base { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
    "export class DurableObject extends Base {}",
    "export class WorkerEntrypoint extends Base {}",
    "export const env = {};",
  ].join("\n"),
  "cloudflare:sockets":
    "export function connect() { throw new Error('cloudflare:sockets is not available in Node'); }",
};

interface Resolved {
  url: string;
  shortCircuit?: boolean;
}
interface Loaded {
  format: string;
  source: string;
  shortCircuit?: boolean;
}

export async function resolve(
  specifier: string,
  context: unknown,
  next: (specifier: string, context: unknown) => Promise<Resolved>,
): Promise<Resolved> {
  const standIn = STAND_INS[specifier];
  if (standIn !== undefined)
    return { url: `data:text/javascript,${encodeURIComponent(standIn)}`, shortCircuit: true };
  return next(specifier, context);
}

export async function load(
  url: string,
  context: unknown,
  next: (url: string, context: unknown) => Promise<Loaded>,
): Promise<Loaded> {
  if (url.startsWith("file:") && (url.endsWith(".yml") || url.endsWith(".yaml"))) {
    const text = await readFile(new URL(url), "utf8");
    return { format: "module", source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  if (url.startsWith("file:") && url.endsWith(".json")) {
    const text = await readFile(new URL(url), "utf8");
    return { format: "module", source: `export default ${text};`, shortCircuit: true };
  }
  return next(url, context);
}
