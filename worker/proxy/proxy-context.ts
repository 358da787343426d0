// Everything one proxied MCP exchange needs: the ingress's request value
// plus the server found for it, gathered once by the route.
import type { Principal } from "../auth/principal.ts";
import type { McpGuard } from "../edge/access.ts";
import { type AuditNote, noteArguments } from "../edge/audit-trail.ts";
import type { McpRequest } from "../edge/ingress.ts";
import { ErrorCode, errorResponse, type JsonRpcId, type JsonRpcResponse } from "../protocol/jsonrpc.ts";
import { jsonRpcReply, sessionNotFound } from "../protocol/replies.ts";
import { type LeaseRefusal, refusalToJsonRpc, type WaitUntil } from "../resilience/lease.ts";
import type { ResilienceDeps } from "../resilience/settings.ts";
import type { ServerRecord, Transport } from "../store/registry-store.ts";
import type { SecretSource } from "../upstream/egress.ts";
import type { UpstreamFailure } from "../upstream/upstream-request.ts";
import type { MessageVerdict } from "./message-rewrite.ts";

export interface ProxyContext {
  /** The request as the ingress read it (body parsed once, audit trail). */
  mcp: McpRequest;
  /** Method, URL and headers of the client's request (its body is in `mcp`). */
  request: Request;
  /** Aborts when the client hangs up (the request value's signal, or the legacy bridge leg's). */
  clientGone: AbortSignal;
  server: ServerRecord;
  /** The transport of the entry the client used; replicas are leased among those speaking it. */
  transport: Transport;
  env: Env;
  /** The bindings and settings replicas are leased with. */
  resilience: ResilienceDeps;
  waitUntil: WaitUntil;
  principal: Principal;
  guard: McpGuard;
  secrets: SecretSource;
  /** The egress guard's fetch (services.egress.fetch): every upstream request goes through it. */
  upstreamFetch: typeof fetch;
  sessionSecret: string;
  requestId: string;
}

/**
 * One audit event per message of the exchange, written now. The outcome is
 * "denied" for refused messages and `forwarded` for the rest.
 */
export function auditVerdicts(
  ctx: ProxyContext,
  verdicts: MessageVerdict[],
  forwarded: string,
  upstreamStatus: number | null,
): void {
  const trail = ctx.mcp.audit;
  for (const verdict of verdicts) {
    const denied = verdict.decision !== null && !verdict.decision.allow;
    const note: AuditNote = {
      serverId: ctx.server.id,
      serverPath: ctx.server.path,
      method: verdict.method,
      tool: verdict.tool,
      decision: denied ? "deny" : "allow",
      reason: verdict.decision?.reason ?? null,
      outcome: denied ? "denied" : forwarded,
      upstreamStatus,
      detail: denied ? { policy: verdict.decision?.detail } : null,
    };
    if (verdict.tool !== null) noteArguments(note, ctx.server.auditArguments, verdict.arguments);
    trail.add(note);
  }
  trail.record();
}

/**
 * The reply when the upstream gave no response at all: one error per
 * forwarded request id (or a single id-less error), 504 for a timeout, 502
 * when it could not be reached. `also` are answers to include (refusals).
 */
export function upstreamFailureReply(
  failure: UpstreamFailure,
  timeoutMs: number,
  options: { ids?: JsonRpcId[]; also?: JsonRpcResponse[]; batch?: boolean } = {},
): Response {
  const timeout = failure.kind === "timeout";
  const code = timeout ? ErrorCode.UpstreamTimeout : ErrorCode.UpstreamUnavailable;
  const message = timeout
    ? `Upstream did not answer within ${timeoutMs} ms`
    : failure.refused
      ? `Upstream refused: ${failure.message}`
      : "Upstream unreachable";
  const errors = (options.ids ?? []).map((id) => errorResponse(id, code, message));
  const all = [...errors, ...(options.also ?? [])];
  const single = all[0] ?? errorResponse(null, code, message);
  return jsonRpcReply(options.batch ? all : single, timeout ? 504 : 502);
}

/** A refused lease as a reply; a session whose replica is gone is reported as ended. */
export function refusalReply(refusal: LeaseRefusal, pinned: boolean): Response {
  if (pinned && refusal.refused === "no_replica") return sessionNotFound();
  const { body, status, headers } = refusalToJsonRpc(refusal, null);
  return jsonRpcReply(body, status, headers);
}

/** Adds headers (e.g. RateLimit) to a response the gateway is about to send. */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}
