// The one home for building audit events: MCP exchanges (edge/audit-trail.ts
// fills in the notes), admin changes (with a compact before/after diff of
// fields, secrets redacted), authentication decisions, and the arguments a
// server's `auditArguments` choice lets through. Callers hand the result to
// the Auditor; nothing else assembles AuditInput rows.
import type { AuditCategory } from "../store/audit-log.ts";
import type { AuditInput } from "./audit.ts";
import { REDACTED, redact } from "./redaction.ts";

/** Who acted (a principal's fields; observability does not depend on auth). */
export interface AuditActor {
  tenant: string;
  subject: string | null;
  issuer: string | null;
}

/** The fields every event shares; the rest default to "nothing to say". */
function baseEvent(
  actor: AuditActor,
  requestId: string,
  category: AuditCategory,
  fields: Partial<AuditInput>,
): AuditInput {
  return {
    tenant: actor.tenant,
    requestId,
    category,
    subject: actor.subject,
    issuer: actor.issuer,
    serverId: null,
    serverPath: null,
    method: null,
    tool: null,
    decision: "allow",
    reason: null,
    outcome: "ok",
    upstreamStatus: null,
    durationMs: null,
    detail: null,
    ...fields,
  };
}

// --- MCP --------------------------------------------------------------------

export interface McpEventFields {
  method: string | null;
  tool: string | null;
  serverId: string | null;
  serverPath: string | null;
  decision: "allow" | "deny";
  reason: string | null;
  outcome: string;
  upstreamStatus: number | null;
  durationMs: number;
  detail: Record<string, unknown> | null;
}

export function mcpEvent(actor: AuditActor, requestId: string, fields: McpEventFields): AuditInput {
  return baseEvent(actor, requestId, "mcp", fields);
}

/** What a server lets the audit log keep of tool-call arguments. */
export const AUDIT_ARGUMENT_MODES = ["none", "redacted", "full"] as const;
export type AuditArgumentsMode = (typeof AUDIT_ARGUMENT_MODES)[number];

/** The arguments as the server's choice allows them into an event's detail (undefined: leave them out). */
export function auditedArguments(mode: AuditArgumentsMode | undefined, args: unknown): unknown {
  if (mode === "full") return args;
  if (mode === "redacted") return redact(args);
  return undefined;
}

// --- Admin changes -----------------------------------------------------------

export interface AdminChange {
  /** `servers.update`, `scopes.replace`, `approvals.approve`, ... */
  action: string;
  /** What was changed: its kind and id (`server`, `abc123`). */
  target: { type: string; id: string | null };
  serverId?: string | null;
  serverPath?: string | null;
  /** The tool an approval is about. */
  tool?: string | null;
  before?: unknown;
  after?: unknown;
  /** The HTTP status of the change (2xx: done). */
  status: number;
}

/** Fields whose changes are bookkeeping, not what an admin changed. */
const IGNORED_FIELDS = new Set(["updatedAt", "createdAt", "health", "rating", "warnings", "endpoint"]);
/** A changed value longer than this (as JSON) is summarised rather than copied. */
const MAX_VALUE_CHARS = 300;

export function adminEvent(actor: AuditActor, requestId: string, change: AdminChange): AuditInput {
  const ok = change.status < 400;
  const changes = fieldDiff(change.before, change.after);
  return baseEvent(actor, requestId, "admin", {
    serverId: change.serverId ?? null,
    serverPath: change.serverPath ?? null,
    tool: change.tool ?? null,
    method: change.action,
    decision: change.status === 401 || change.status === 403 ? "deny" : "allow",
    reason: ok ? "granted" : `http_${change.status}`,
    outcome: ok ? "ok" : change.status === 403 ? "denied" : "error",
    upstreamStatus: null,
    detail: {
      target: change.target,
      status: change.status,
      ...(changes && Object.keys(changes).length > 0 ? { changes } : {}),
    },
  });
}

export type FieldChange = { from?: unknown; to?: unknown };

/**
 * Top-level fields that differ between two records, each as `{from, to}`
 * (absent side: created or deleted), redacted; long values summarised.
 * Fields only the response carries are left out when there is a `before`.
 * Null when neither side is a record.
 */
export function fieldDiff(before: unknown, after: unknown): Record<string, FieldChange> | null {
  const from = asRecord(before);
  const to = asRecord(after);
  if (!from && !to) return null;
  const changes: Record<string, FieldChange> = {};
  // With both sides, the fields of the stored record (`before`) are what can change;
  // the response adds computed ones (a server's tools, a rating) that are not edits.
  const keys = new Set(from ? Object.keys(from) : Object.keys(to ?? {}));
  for (const key of keys) {
    if (IGNORED_FIELDS.has(key)) continue;
    const a = from?.[key];
    const b = to?.[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const redacted = redact({ [key]: { a, b } }) as Record<string, unknown>;
    const pair = redacted[key];
    const change: FieldChange = {};
    if (pair === REDACTED) {
      if (from && key in from) change.from = REDACTED;
      if (to && key in to) change.to = REDACTED;
    } else {
      const { a: ra, b: rb } = pair as { a: unknown; b: unknown };
      if (from && key in from) change.from = compact(ra);
      if (to && key in to) change.to = compact(rb);
    }
    changes[key] = change;
  }
  return changes;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

function compact(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= MAX_VALUE_CHARS) return value;
  return Array.isArray(value) ? `[${value.length} items]` : `[${text.length} characters]`;
}

// --- Authentication -------------------------------------------------------------

export interface AuthDecision {
  action: string;
  decision: "allow" | "deny";
  /** Overrides the default reason (`granted` / `invalid_credentials`). */
  reason?: string;
  detail?: Record<string, unknown> | null;
  /** A stable id (the failed-authentication limiter uses one per source and slot). */
  id?: string;
}

export function authEvent(actor: AuditActor, requestId: string, event: AuthDecision): AuditInput {
  const allowed = event.decision === "allow";
  return {
    ...baseEvent(actor, requestId, "auth", {
      method: event.action,
      decision: event.decision,
      reason: event.reason ?? (allowed ? "granted" : "invalid_credentials"),
      outcome: allowed ? "ok" : "denied",
      detail: event.detail ?? null,
    }),
    ...(event.id ? { id: event.id } : {}),
  };
}
