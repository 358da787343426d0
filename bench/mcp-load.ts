// A bounded closed-loop load of MCP `tools/call` requests against one
// endpoint (after `initialize`), for benchmarks that compare targets in one run.
import { percentile } from "./metrics.ts";

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

/** Opens a session (when the target uses one) and returns the target with its session header. */
export async function initialize(target: Target): Promise<Target> {
  const response = await fetch(target.url, {
    method: "POST",
    headers: { ...target.headers, ...MCP_HEADERS },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "bench", version: "1" },
      },
    }),
  });
  if (!response.ok) throw new Error(`${target.name}: initialize answered ${response.status}`);
  await response.text();
  const session = response.headers.get("mcp-session-id");
  return { ...target, headers: { ...target.headers, ...(session ? { "mcp-session-id": session } : {}) } };
}

/** `count` calls of the demo server's `word_count` with `concurrency` in flight. */
export async function load(target: Target, count: number, concurrency: number): Promise<Run> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const id = next++;
      const started = performance.now();
      try {
        const response = await fetch(target.url, {
          method: "POST",
          headers: { ...target.headers, ...MCP_HEADERS },
          body: JSON.stringify({
            jsonrpc: "2.0",
            id,
            method: "tools/call",
            params: { name: "word_count", arguments: { text: "a b c" } },
          }),
        });
        const text = await response.text();
        if (!response.ok || !text.includes('"words"')) errors += 1;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { rps: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}
