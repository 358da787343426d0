// Policy for one caller on one server, as the MCP proxy needs it: a decision
// per JSON-RPC request and a tool filter for tools/list. The policy is loaded
// once per request (cached per isolate by the AccessService); every decision
// after that is a pure function call.
import type { Principal } from "../auth/principal.ts";
import type { JsonRpcResponse } from "../mcp/jsonrpc.ts";
import { type Decision, decide } from "../policy/access-policy.ts";
import type { Services } from "../services.ts";

export interface McpGuard {
  decide(method: string, tool?: string): Decision;
  mayCall(tool: string): boolean;
  /** Tool pinning (worker/security/pinned-edge.ts): cuts a tools/list answer to approved definitions. */
  listTools?(tools: unknown[]): unknown[];
  /** Tool pinning: a refusal for a held tool or undeclared arguments, or the arguments to send. */
  checkCall?(
    tool: string,
    args: unknown,
  ): { refusal: JsonRpcResponse; reason: string } | { arguments: unknown };
}

export async function mcpGuardFor(
  services: Services,
  principal: Principal,
  server: string,
): Promise<McpGuard> {
  const policy = await services.access.policyFor(principal.tenant);
  const guard: McpGuard = {
    decide: (method, tool) =>
      decide(policy, principal, { kind: "mcp", server, method, ...(tool ? { tool } : {}) }),
    mayCall: (tool) => guard.decide("tools/call", tool).allow,
  };
  return guard;
}
