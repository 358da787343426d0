// The gateway's three MCP targets of a `tools/call` of the demo's word_count,
// as the benchmarks load them: `/{path}/mcp`, `/mcp` with a session-based
// (2025-06-18) client, `/mcp` with a stateless 2026-07-28 client. Shared by
// bench/proxy.bench.ts and bench/profile-gateway.ts so both send the same
// requests.
import type { Target } from "./mcp-load.ts";

/** tools/call of the demo's word_count under its aggregated name. */
function aggregatedCall(id: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "demo__word_count", arguments: { text: "a b c" } },
  });
}

/** A word_count call named `name` as a stateless 2026-07-28 client sends it (no initialize; metadata in _meta). */
function statelessCall(name: string, id: number): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: {
      name,
      arguments: { text: "a b c" },
      _meta: {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1" },
      },
    },
  });
}

/** Registers the demo backend at `/demo` with an admin token. */
export async function registerDemo(gatewayUrl: string, token: string, demoUrl: string): Promise<void> {
  const registered = await fetch(`${gatewayUrl}/api/v1/servers`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "Demo", path: "demo", endpoints: [{ url: demoUrl }] }),
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
}

export type GatewayTargetKind = "path" | "session" | "stateless";

/**
 * A stateless 2026-07-28 client's target at `url`, calling the tool `name`.
 * The backend answers such a client on its own 2026 path (the demo builds a
 * server per request there), so a stateless target is compared with a
 * pass-through loaded by the same kind of client.
 */
export function statelessTarget(
  name: string,
  url: string,
  headers: Record<string, string>,
  tool: string,
): Target {
  return {
    name,
    url,
    stateless: true,
    headers: {
      ...headers,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": tool,
    },
    body: (id) => statelessCall(tool, id),
  };
}

/** The gateway's targets for a caller holding `token`, in the benchmarks' order. */
export function gatewayTargets(gatewayUrl: string, token: string): Record<GatewayTargetKind, Target> {
  const auth = { authorization: `Bearer ${token}` };
  return {
    path: { name: "gateway /{path}/mcp", url: `${gatewayUrl}/demo/mcp`, headers: auth },
    session: {
      name: "gateway /mcp (session)",
      url: `${gatewayUrl}/mcp`,
      headers: auth,
      body: aggregatedCall,
    },
    stateless: statelessTarget("gateway /mcp (stateless)", `${gatewayUrl}/mcp`, auth, "demo__word_count"),
  };
}
