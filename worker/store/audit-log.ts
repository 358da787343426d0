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

/** Filters of a listing; every one optional, all must hold. */
export interface AuditQuery {
  limit: number;
  /** Inclusive lower bound (ISO 8601). */
  from?: string;
  /** Exclusive upper bound (ISO 8601). */
  to?: string;
  category?: AuditCategory;
  subject?: string;
  /** A server's id or path. */
  server?: string;
  /** Kept for callers that know the path only. */
  serverPath?: string;
  tool?: string;
  /** `servers.update`, `tools/call`, ... */
  method?: string;
  decision?: "allow" | "deny";
  outcome?: string;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

export interface AuditLog {
  /** Appends events; an event whose id is already stored is dropped (deterministic ids dedupe). */
  append(events: AuditEvent[]): Promise<void>;
  /** Newest first (occurredAt, then id), cut after filtering. */
  list(tenant: string, query: AuditQuery): Promise<AuditPage>;
  /** Kept for existing callers: the first page's items. */
  recent(tenant: string, query: AuditQuery): Promise<AuditEvent[]>;
}
