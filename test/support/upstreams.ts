// Real MCP servers on loopback for the tests: the reference
// `server-everything` in Streamable HTTP and in legacy SSE mode, and the
// repository's demo backend. Started once per test run (vitest global setup)
// and handed to tests through `inject`.
import { createRequire } from "node:module";
import type { TestProject } from "vitest/node";
import {
  freePort,
  httpAnswers,
  type RunningProcess,
  startProcess,
  waitFor,
} from "../../scripts/processes.ts";

const require = createRequire(import.meta.url);

export interface Upstreams {
  everythingStreamableUrl: string;
  everythingSseUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    upstreams: Upstreams;
  }
}

export function everythingEntry(): string {
  return require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
}

export async function startEverything(
  mode: "streamableHttp" | "sse",
): Promise<{ url: string; proc: RunningProcess }> {
  const port = await freePort();
  const proc = startProcess(process.execPath, [everythingEntry(), mode], { PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`server-everything (${mode})`, () => httpAnswers(`${base}/`), { process: proc });
  return { url: mode === "sse" ? `${base}/sse` : `${base}/mcp`, proc };
}

export default async function setup(project: TestProject) {
  const [streamable, sse] = await Promise.all([startEverything("streamableHttp"), startEverything("sse")]);
  project.provide("upstreams", { everythingStreamableUrl: streamable.url, everythingSseUrl: sse.url });
  return async () => {
    await Promise.all([streamable.proc.stop(), sse.proc.stop()]);
  };
}
