// One HTTP exchange with the aggregated endpoint `/mcp`: who is calling, what
// the gateway's MCP handlers need (services, the caller's policy, upstream
// call settings), and the audit trail. The route registers every JSON-RPC
// request of the body before the SDK dispatches it; handlers fill in the
// server, tool, decision and outcome; one event per request is written once
// the response body has been sent (arguments are never recorded).

import type { Principal } from "../auth/principal.ts";
import type { GatewayConfig } from "../env.ts";
import type { AuditInput, WaitUntil } from "../observability/audit.ts";
import { observePolicy } from "../observability/hooks.ts";
import type { Decision } from "../policy/access-policy.ts";
import { type SecretSource, secretsFromEnv } from "../proxy/egress.ts";
import type { Services } from "../services.ts";
import type { CallerAccess } from "./gateway-view.ts";
import type { ClassifiedMessage, JsonRpcId } from "./jsonrpc.ts";
import type { UpstreamLeaseContext, UpstreamSessionStore } from "./upstream-call.ts";

export type Generation = "stateless" | "session";

export interface AuditNote {
  method: string | null;
  tool: string | null;
  serverId: string | null;
  serverPath: string | null;
  decision: "allow" | "deny";
  reason: string | null;
  /** `ok`, `error`, `denied`, `upstream_error`, `timeout`, `cancelled`. */
  outcome: string;
  upstreamStatus: number | null;
  detail: Record<string, unknown> | null;
}

/** Methods the SDK answers itself; any other method a handler does not claim is unknown. */
const SDK_METHODS = new Set([
  "initialize",
  "ping",
  "server/discover",
  "subscriptions/listen",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "prompts/list",
  "tools/call",
  "resources/read",
  "prompts/get",
]);

export interface ExchangeInit {
  services: Services;
  config: GatewayConfig;
  env: Env;
  principal: Principal;
  requestId: string;
  waitUntil: WaitUntil;
  generation: Generation;
  /** The client session (session-based clients only). */
  sessionId?: string;
  /** Upstream sessions of the client session, reused across calls. */
  upstreamSessions?: UpstreamSessionStore;
}

export class GatewayExchange {
  readonly startedAt = Date.now();
  readonly services: Services;
  readonly config: GatewayConfig;
  readonly principal: Principal;
  readonly requestId: string;
  readonly generation: Generation;
  readonly sessionId: string | undefined;
  readonly upstreamSessions: UpstreamSessionStore | undefined;
  readonly secrets: SecretSource;
  /** What upstream calls need to lease replicas (load balancing, circuits, rate limits). */
  readonly lease: UpstreamLeaseContext;
  private readonly waitUntil: WaitUntil;
  private readonly notes = new Map<JsonRpcId, AuditNote>();
  /** Set when the exchange is audited as one event rather than per request. */
  private single: AuditNote | null = null;
  private access: Promise<CallerAccess> | null = null;
  private recorded = false;

  constructor(init: ExchangeInit) {
    this.services = init.services;
    this.config = init.config;
    this.principal = init.principal;
    this.requestId = init.requestId;
    this.generation = init.generation;
    this.sessionId = init.sessionId;
    this.upstreamSessions = init.upstreamSessions;
    this.waitUntil = init.waitUntil;
    this.secrets = secretsFromEnv(init.env);
    this.lease = { env: init.env, waitUntil: init.waitUntil, principal: init.principal };
  }

  /** The caller's permissions, loaded once per exchange. */
  callerAccess(load: () => Promise<CallerAccess>): Promise<CallerAccess> {
    this.access ??= observePolicy(load);
    return this.access;
  }

  /** Registers the requests of the body (notifications and responses leave no event). */
  expect(messages: ClassifiedMessage[]): void {
    for (const message of messages) {
      if (message.type !== "request") continue;
      const known = SDK_METHODS.has(message.method);
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

  /** Work to finish after the response (closing upstream sessions, audit writes). */
  defer(work: Promise<unknown>): void {
    this.waitUntil.waitUntil(work.catch(() => {}));
  }

  /**
   * Writes the audit events once `response`'s body has been sent (or right
   * away for an empty body), then runs `finished` (e.g. closing the SDK server).
   */
  recordAfter(response: Response, finished?: () => void): Response {
    const done = () => {
      this.record();
      finished?.();
    };
    if (!response.body) {
      done();
      return response;
    }
    const body = afterBody(response.body, done);
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }

  /** Writes the audit events now (at most once per exchange). */
  record(): void {
    if (this.recorded) return;
    this.recorded = true;
    const notes = this.single ? [this.single] : [...this.notes.values()];
    const durationMs = Date.now() - this.startedAt;
    const events: AuditInput[] = notes.map((note) => ({
      tenant: this.principal.tenant,
      requestId: this.requestId,
      category: "mcp",
      subject: this.principal.subject,
      issuer: this.principal.issuer,
      serverId: note.serverId,
      serverPath: note.serverPath,
      method: note.method,
      tool: note.tool,
      decision: note.decision,
      reason: note.reason,
      outcome: note.outcome,
      upstreamStatus: note.upstreamStatus,
      durationMs,
      detail: {
        endpoint: "/mcp",
        generation: this.generation,
        ...(this.sessionId && { session: this.sessionId.slice(0, 8) }),
        ...note.detail,
      },
    }));
    this.services.auditor.record(this.waitUntil, events);
  }
}

function emptyNote(method: string | null): AuditNote {
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

/** Passes `body` through and calls `done` once when it ends, fails or is cancelled by the reader. */
export function afterBody(body: ReadableStream<Uint8Array>, done: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    done();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk.done) {
          controller.close();
          finish();
          return;
        }
        controller.enqueue(chunk.value);
      } catch (error) {
        controller.error(error);
        finish();
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => {});
    },
  });
}
