// The one policy adapter of the MCP edge: the caller's compiled policy,
// loaded once per request, turned into decisions with the one `decide()`.
// The aggregated endpoint asks per server; the per-server proxy holds a
// guard bound to its server.
import type { Principal } from "../auth/principal.ts";
import { type CompiledPolicy, type Decision, decide } from "../policy/access-policy.ts";
import type { JsonRpcResponse } from "../protocol/jsonrpc.ts";
import { canSee, viewerFor } from "../registry/visibility.ts";
import type { ServerRecord } from "../store/registry-store.ts";

export interface McpAccess {
  decide(server: string, method: string, tool?: string): Decision;
  /** The guard of one server (the per-server proxy's view of the same policy). */
  forServer(server: string): McpGuard;
  /** Visibility (registry/visibility.ts): a server the caller may not see is treated as absent. */
  sees(server: ServerRecord): boolean;
}

/** Policy for one caller on one server: a decision per request and the tools/list filter. */
export interface McpGuard {
  decide(method: string, tool?: string): Decision;
  mayCall(tool: string): boolean;
  /** Tool pinning (security/pinned-edge.ts): cuts a tools/list answer to approved definitions. */
  listTools?(tools: unknown[]): unknown[];
  /** Tool pinning: a refusal for a held tool or undeclared arguments, or the arguments to send. */
  checkCall?(
    tool: string,
    args: unknown,
  ): { refusal: JsonRpcResponse; reason: string } | { arguments: unknown };
}

export function mcpAccess(policy: CompiledPolicy, principal: Principal): McpAccess {
  const viewer = viewerFor(policy, principal);
  const access: McpAccess = {
    sees: (server) => canSee(viewer, server),
    decide: (server, method, tool) =>
      decide(policy, principal, { kind: "mcp", server, method, ...(tool === undefined ? {} : { tool }) }),
    forServer: (server) => {
      const guard: McpGuard = {
        decide: (method, tool) => access.decide(server, method, tool),
        mayCall: (tool) => access.decide(server, "tools/call", tool).allow,
      };
      return guard;
    },
  };
  return access;
}
