// Tool pinning at the MCP edge: small adapters the endpoints call, so the
// rules stay in pinning.ts and the edge files carry one line each.
//   /{path}/mcp  routes/server-mcp.ts  guard = pinnedGuard(guard, pins)
//   /mcp         mcp/gateway-view.ts   catalogs cut by approvedCatalog(...)
//                mcp/gateway-server.ts tools/call checked by pinnedCall(...)
import type { McpGuard } from "../proxy/mcp-guard.ts";
import type { CatalogEntry, ServerRecord } from "../store/registry-store.ts";
import type { ApprovalService } from "./approval-service.ts";
import { type CallCheck, checkCall, isHeld, type PinSet, visibleTools } from "./pinning.ts";

/** JSON-RPC code of a refusal by the gateway (ErrorCode.Forbidden in mcp/jsonrpc.ts; not imported: no cycle). */
const FORBIDDEN = -32003;

/** The per-server proxy's guard, with tools/list and tools/call held to the approved catalog. */
export function pinnedGuard(guard: McpGuard, pins: PinSet): McpGuard {
  return {
    ...guard,
    mayCall: (tool) => guard.mayCall(tool) && !isHeld(pins, tool),
    listTools: (tools) => visibleTools(tools, pins),
    checkCall: (tool, args) => {
      const check = checkCall(pins, tool, args);
      if (check.allow) return { arguments: check.arguments };
      const error = { code: FORBIDDEN, message: check.message, data: refusalData(check) };
      return { refusal: { jsonrpc: "2.0", id: 0, error }, reason: check.reason };
    },
  };
}

/** A stored catalog with held tools removed (a tool shows only with its approved fingerprint). */
export async function approvedCatalog(
  approvals: ApprovalService,
  server: ServerRecord,
  entries: CatalogEntry[],
): Promise<CatalogEntry[]> {
  const pins = await approvals.pinsFor(server.tenant, server.id, { fresh: true });
  return entries.filter((entry) => {
    if (entry.kind !== "tool") return true;
    const row = pins.byKey.get(entry.key);
    if (!row) return pins.mode === "auto";
    return row.status === "approved" && row.approvedFingerprint === entry.fingerprint;
  });
}

/** A tools/call of the aggregated endpoint against the approved catalog. */
export async function pinnedCall(
  approvals: ApprovalService,
  server: ServerRecord,
  tool: string,
  args: unknown,
): Promise<CallCheck> {
  return checkCall(await approvals.pinsFor(server.tenant, server.id, { fresh: true }), tool, args);
}

export function refusalData(check: Exclude<CallCheck, { allow: true }>): Record<string, unknown> {
  return check.reason === "tool_held"
    ? { reason: check.reason, approvalId: check.approvalId }
    : { reason: check.reason, arguments: check.names };
}
