// Tool pinning, pure functions. Every tool has an approved definition; a new
// tool (TOOL_APPROVAL=manual, or flagged by the scan under a `hold` policy)
// or a changed one (description, schemas, annotations: its fingerprint) waits
// for an admin. A held tool is absent from tools/list on every MCP endpoint
// and its calls are refused; arguments outside the approved input schema are
// refused (or stripped) before anything reaches the upstream.
import { identityJson } from "../registry/fingerprint.ts";
import type { ApprovalReason, ToolApproval } from "../store/approval-store.ts";

export type ApprovalMode = "auto" | "manual";
export type UndeclaredArguments = "refuse" | "strip";

export interface PinSet {
  mode: ApprovalMode;
  undeclared: UndeclaredArguments;
  byKey: ReadonlyMap<string, ToolApproval>;
}

export interface CatalogTool {
  key: string;
  fingerprint: string;
  definition: Record<string, unknown>;
}

export interface ApprovalPlan {
  upserts: ToolApproval[];
  deletions: string[];
}

export function pinSet(rows: ToolApproval[], mode: ApprovalMode, undeclared: UndeclaredArguments): PinSet {
  return { mode, undeclared, byKey: new Map(rows.map((row) => [row.key, row])) };
}

/**
 * What to write after a catalog read: new tools are approved at first sight
 * (auto, not flagged) or wait; a changed tool waits whatever the mode; a tool
 * that went back to its approved definition is approved again; tools gone
 * from the catalog lose their rows.
 */
export function planApprovals(
  existing: ToolApproval[],
  tools: CatalogTool[],
  options: {
    tenant: string;
    serverId: string;
    mode: ApprovalMode;
    /** Keys the security scan flagged under a `hold` policy. */
    held: ReadonlySet<string>;
    now: string;
    newId: () => string;
  },
): ApprovalPlan {
  const rows = new Map(existing.map((row) => [row.key, row]));
  const upserts: ToolApproval[] = [];
  const pending = (row: ToolApproval, tool: CatalogTool, reason: ApprovalReason): ToolApproval => ({
    ...row,
    status: "pending",
    reason,
    pendingFingerprint: tool.fingerprint,
    pendingDefinition: tool.definition,
    updatedAt: options.now,
  });
  for (const tool of tools) {
    const row = rows.get(tool.key);
    rows.delete(tool.key);
    const flagged = options.held.has(tool.key);
    if (!row) {
      const fresh: ToolApproval = {
        id: options.newId(),
        tenant: options.tenant,
        serverId: options.serverId,
        key: tool.key,
        status: "approved",
        reason: "new",
        approvedFingerprint: null,
        approvedDefinition: null,
        pendingFingerprint: null,
        pendingDefinition: null,
        updatedAt: options.now,
        decidedBy: null,
        decidedAt: null,
      };
      if (options.mode === "auto" && !flagged) {
        upserts.push({
          ...fresh,
          approvedFingerprint: tool.fingerprint,
          approvedDefinition: tool.definition,
          decidedBy: "system:auto",
          decidedAt: options.now,
        });
      } else {
        upserts.push(pending(fresh, tool, flagged ? "flagged" : "new"));
      }
      continue;
    }
    if (row.approvedFingerprint === tool.fingerprint) {
      // Back to (or still at) what was approved.
      if (row.status !== "approved") {
        upserts.push({
          ...row,
          status: "approved",
          pendingFingerprint: null,
          pendingDefinition: null,
          updatedAt: options.now,
        });
      }
      continue;
    }
    if (row.pendingFingerprint === tool.fingerprint) continue; // already waiting (or rejected) for this definition
    upserts.push(pending(row, tool, flagged ? "flagged" : row.approvedFingerprint ? "changed" : "new"));
  }
  return { upserts, deletions: [...rows.values()].map((row) => row.id) };
}

/** The approved row of a tool, or null when it is held (pending, rejected, unknown under manual approval). */
function approved(pins: PinSet, key: string): ToolApproval | "first-sight" | null {
  const row = pins.byKey.get(key);
  if (!row) return pins.mode === "auto" ? "first-sight" : null;
  return row.approvedFingerprint !== null && row.status === "approved" ? row : null;
}

export function isHeld(pins: PinSet, key: string): boolean {
  return approved(pins, key) === null;
}

/**
 * The tools a tools/list answer may show: approved ones whose live definition
 * is exactly the approved one (a changed upstream is caught before any refresh).
 */
export function visibleTools(tools: unknown[], pins: PinSet): unknown[] {
  return tools.filter((tool) => {
    if (typeof tool !== "object" || tool === null) return false;
    const definition = tool as Record<string, unknown>;
    if (typeof definition.name !== "string") return false;
    const row = approved(pins, definition.name);
    if (row === null) return false;
    if (row === "first-sight") return true;
    return identityJson("tool", definition) === identityJson("tool", row.approvedDefinition ?? {});
  });
}

// The argument names each approved row declares, worked out once per row (rows are cached and
// never changed in place: a decision or a new catalog makes new rows).
const declaredByRow = new WeakMap<ToolApproval, ReadonlySet<string>>();

function declaredArguments(row: ToolApproval): ReadonlySet<string> {
  let declared = declaredByRow.get(row);
  if (declared === undefined) {
    const schema = (row.approvedDefinition?.inputSchema ?? {}) as { properties?: Record<string, unknown> };
    declared = new Set(Object.keys(schema.properties ?? {}));
    declaredByRow.set(row, declared);
  }
  return declared;
}

export type CallCheck =
  | { allow: true; arguments: Record<string, unknown> | undefined }
  | { allow: false; reason: "tool_held"; message: string; approvalId: string | null }
  | { allow: false; reason: "undeclared_arguments"; message: string; names: string[] };

/** A tools/call against the approved definition: held tools and undeclared arguments are refused. */
export function checkCall(pins: PinSet, tool: string, args: unknown): CallCheck {
  const row = approved(pins, tool);
  if (row === null) {
    const pending = pins.byKey.get(tool);
    return {
      allow: false,
      reason: "tool_held",
      message: `Tool "${tool}" is held until an administrator approves it${pending ? ` (approval ${pending.id})` : ""}`,
      approvalId: pending?.id ?? null,
    };
  }
  const argumentsObject =
    typeof args === "object" && args !== null && !Array.isArray(args)
      ? (args as Record<string, unknown>)
      : undefined;
  if (row === "first-sight" || !argumentsObject) return { allow: true, arguments: argumentsObject };
  const declared = declaredArguments(row);
  const undeclared = Object.keys(argumentsObject).filter((name) => !declared.has(name));
  if (undeclared.length === 0) return { allow: true, arguments: argumentsObject };
  if (pins.undeclared === "strip") {
    return {
      allow: true,
      arguments: Object.fromEntries(Object.entries(argumentsObject).filter(([name]) => declared.has(name))),
    };
  }
  return {
    allow: false,
    reason: "undeclared_arguments",
    message: `Arguments not in the approved input schema of "${tool}": ${undeclared.join(", ")}`,
    names: undeclared,
  };
}
