// Audit events of the MCP edge, built in one place: one event per JSON-RPC
// request (or one for an exchange that carried none worth recording), with
// the caller, server, method, tool, decision and reason, outcome, upstream
// status, duration and request id; arguments only as the server's
// `auditArguments` choice allows (noteArguments). The per-server proxy
// adds its notes as it decides; the aggregated endpoint registers the
// requests of the body and its handlers fill them in. Events are written
// once, after the response (the Auditor batches them per isolate).
import type { Principal } from "../auth/principal.ts";
import type { AuditInput, Auditor, WaitUntil } from "../observability/audit.ts";
import { type AuditArgumentsMode, auditedArguments, mcpEvent } from "../observability/audit-events.ts";
import type { Decision } from "../policy/access-policy.ts";
import type { ClassifiedMessage, JsonRpcId } from "../protocol/jsonrpc.ts";

export interface AuditNote {
  method: string | null;
  tool: string | null;
  serverId: string | null;
  serverPath: string | null;
  decision: "allow" | "deny";
  reason: string | null;
  /** `ok`, `error`, `denied`, `upstream_error`, `timeout`, `cancelled`, ... */
  outcome: string;
  upstreamStatus: number | null;
  detail: Record<string, unknown> | null;
}

export function emptyNote(method: string | null): AuditNote {
  return {
    method,
    tool: null,
    serverId: null,
    serverPath: null,
    decision: "allow",
    reason: null,
    outcome: "ok",
    upstreamStatus: null,
    detail: null,
  };
}

export interface AuditTrailInit {
  principal: Principal;
  requestId: string;
  /** Where events go, after the response (no per-request closure: the trail calls it at record). */
  auditor: Pick<Auditor, "record">;
  waitUntil: WaitUntil;
  startedAt?: number;
}

export class AuditTrail {
  readonly startedAt: number;
  private readonly notes = new Map<JsonRpcId, AuditNote>();
  private readonly extra: AuditNote[] = [];
  /** Set when the exchange is audited as one event rather than per request. */
  private single: AuditNote | null = null;
  private recorded = false;
  private context: Record<string, unknown> | null = null;

  constructor(private readonly init: AuditTrailInit) {
    this.startedAt = init.startedAt ?? Date.now();
  }

  /** Added to every event's detail (the aggregated endpoint: endpoint, generation, session). */
  setContext(context: Record<string, unknown>): void {
    this.context = context;
  }

  /** Registers the requests of the body (notifications and responses leave no event). */
  expect(messages: ClassifiedMessage[]): void {
    for (const message of messages) {
      if (message.type !== "request") continue;
      const known = message.facts.served === true;
      this.notes.set(message.message.id, {
        ...emptyNote(message.method),
        outcome: known ? "ok" : "error",
        reason: known ? null : "method_not_found",
      });
    }
  }

  /** A body that could not be read as JSON-RPC: one event for the whole exchange. */
  rejected(reason: string, method: string | null = null): void {
    this.single = { ...emptyNote(method), outcome: "error", reason };
  }

  /** An exchange without JSON-RPC requests that is still worth an event (e.g. ending a session). */
  action(method: string, reason: string): void {
    this.single = { ...emptyNote(method), reason };
  }

  /** The note of request `id`, for its handler to fill in. */
  note(id: JsonRpcId): AuditNote {
    let note = this.notes.get(id);
    if (!note) {
      note = emptyNote(null);
      this.notes.set(id, note);
    }
    return note;
  }

  /** A note not tied to a request id (the per-server proxy notes every message). */
  add(note: AuditNote): void {
    this.extra.push(note);
  }

  /** Records a policy decision on the note of request `id`. */
  decided(id: JsonRpcId, decision: Decision): void {
    const note = this.note(id);
    note.decision = decision.allow ? "allow" : "deny";
    note.reason = decision.reason;
    if (!decision.allow) {
      note.outcome = "denied";
      note.detail = { ...note.detail, policy: decision.detail };
    }
  }

  /** Writes the events now (at most once per exchange). */
  record(): void {
    if (this.recorded) return;
    this.recorded = true;
    const notes = this.single ? [this.single] : [...this.notes.values(), ...this.extra];
    const durationMs = Date.now() - this.startedAt;
    this.init.auditor.record(
      this.init.waitUntil,
      notes.map((note) => this.event(note, durationMs)),
    );
  }

  private event(note: AuditNote, durationMs: number): AuditInput {
    const { principal, requestId } = this.init;
    const context = this.context;
    return mcpEvent(principal, requestId, {
      ...note,
      durationMs,
      detail: context ? { ...context, ...note.detail } : note.detail,
    });
  }
}

/**
 * Puts a tool call's arguments on its note as the server's `auditArguments`
 * allows: nothing (`none`, the default), redacted, or in full.
 */
export function noteArguments(note: AuditNote, mode: AuditArgumentsMode | undefined, args: unknown): void {
  const kept = auditedArguments(mode, args);
  if (kept !== undefined) note.detail = { ...note.detail, arguments: kept };
}
