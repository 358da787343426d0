// The audit log's storage port. Append-only; reads are newest first.

export type AuditCategory = "mcp" | "admin" | "auth";

export interface AuditEvent {
  id: string;
  tenant: string;
  occurredAt: string;
  requestId: string;
  category: AuditCategory;
  subject: string | null;
  issuer: string | null;
  serverId: string | null;
  serverPath: string | null;
  method: string | null;
  tool: string | null;
  decision: "allow" | "deny";
  /** A public reason class (e.g. `granted`, `tool_not_granted`). */
  reason: string | null;
  /** e.g. `ok`, `error`, `denied`, `upstream_error`, `timeout`. */
  outcome: string;
  upstreamStatus: number | null;
  durationMs: number | null;
  /** Arguments (only when allowed) and other details. */
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  limit: number;
  subject?: string;
  serverPath?: string;
}

export interface AuditLog {
  append(events: AuditEvent[]): Promise<void>;
  recent(tenant: string, query: AuditQuery): Promise<AuditEvent[]>;
}
