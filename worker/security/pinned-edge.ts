// Tool pinning for the aggregated endpoint: small adapters it calls, so the
// rules stay in pinning.ts (the per-server proxy uses edge/pinned-guard.ts).
//   /mcp  aggregated/gateway-view.ts    catalogs cut by approvedCatalog(...)
//         aggregated/gateway-server.ts  tools/call checked by pinnedCall(...)
import type { CatalogEntry, ServerRecord } from "../store/registry-store.ts";
import type { ApprovalService } from "./approval-service.ts";
import { type CallCheck, checkCall } from "./pinning.ts";

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
  // Cached like the catalog the call was checked against (2 s; cleared at once by changes in this isolate).
  return checkCall(await approvals.pinsFor(server.tenant, server.id), tool, args);
}

export function refusalData(check: Exclude<CallCheck, { allow: true }>): Record<string, unknown> {
  return check.reason === "tool_held"
    ? { reason: check.reason, approvalId: check.approvalId }
    : { reason: check.reason, arguments: check.names };
}
