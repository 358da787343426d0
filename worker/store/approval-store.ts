// Storage port for tool pinning (worker/security/pinning.ts).

export type ApprovalStatus = "approved" | "pending" | "rejected";
export type ApprovalReason = "new" | "changed" | "flagged";

export interface ToolApproval {
  id: string;
  tenant: string;
  serverId: string;
  key: string;
  status: ApprovalStatus;
  reason: ApprovalReason;
  approvedFingerprint: string | null;
  approvedDefinition: Record<string, unknown> | null;
  pendingFingerprint: string | null;
  pendingDefinition: Record<string, unknown> | null;
  updatedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface ApprovalStore {
  forServer(tenant: string, serverId: string): Promise<ToolApproval[]>;
  list(
    tenant: string,
    query: { status?: ApprovalStatus; serverId?: string; limit: number },
  ): Promise<ToolApproval[]>;
  get(tenant: string, id: string): Promise<ToolApproval | null>;
  /** Writes and deletes in one transaction. */
  apply(upserts: ToolApproval[], deletions: string[]): Promise<void>;
  /** Sets the decision only if the row still has `expectedPending` as its pending fingerprint. */
  decide(row: ToolApproval, expectedPending: string | null): Promise<boolean>;
}
