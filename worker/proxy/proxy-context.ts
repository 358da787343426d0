// Everything one proxied MCP exchange needs, gathered once by the route.
import type { Principal } from "../auth/principal.ts";
import {
  ErrorCode,
  errorResponse,
  type JsonRpcId,
  JsonRpcParseError,
  type JsonRpcResponse,
  type ParsedBody,
  parseJsonRpcBody,
} from "../protocol/jsonrpc.ts";
import type { AuditInput } from "../observability/audit.ts";
import { type LeaseRefusal, refusalToJsonRpc, type WaitUntil } from "../resilience/lease.ts";
import type { ServerRecord, Transport } from "../store/registry-store.ts";
import type { SecretSource } from "../upstream/egress.ts";
import type { McpGuard } from "./mcp-guard.ts";
import { hasReservedId, type MessageVerdict } from "./message-rewrite.ts";
import type { UpstreamFailure } from "../upstream/upstream-request.ts";

export interface ProxyContext {
  request: Request;
  server: ServerRecord;
  /** The transport of the entry the client used; replicas are leased among those speaking it. */
  transport: Transport;
  env: Env;
  waitUntil: WaitUntil;
  principal: Principal;
  guard: McpGuard;
  secrets: SecretSource;
  sessionSecret: string;
  requestId: string;
  /** Queues audit events for after the response. */
  audit: (events: AuditInput[]) => void;
}

/** A JSON-RPC reply produced by the gateway itself. */
export function jsonRpcReply(
  body: JsonRpcResponse | JsonRpcResponse[],
  status: number,
  headers?: Headers,
): Response {
  const response = new Response(JSON.stringify(body), { status, headers });
  response.headers.set("content-type", "application/json");
  return response;
}

/** One audit event per message of the exchange. */
export function auditVerdicts(
  ctx: ProxyContext,
  verdicts: MessageVerdict[],
  outcome: (verdict: MessageVerdict) => string,
  upstreamStatus: number | null,
  startedAt: number,
): void {
  const durationMs = Date.now() - startedAt;
  ctx.audit(
    verdicts.map((verdict) => ({
      tenant: ctx.principal.tenant,
      requestId: ctx.requestId,
      category: "mcp" as const,
      subject: ctx.principal.subject,
      issuer: ctx.principal.issuer,
      serverId: ctx.server.id,
      serverPath: ctx.server.path,
      method: verdict.method,
      tool: verdict.tool,
      decision: verdict.decision === null || verdict.decision.allow ? ("allow" as const) : ("deny" as const),
      reason: verdict.decision?.reason ?? null,
      outcome: outcome(verdict),
      upstreamStatus,
      durationMs,
      detail: verdict.decision && !verdict.decision.allow ? { policy: verdict.decision.detail } : null,
    })),
  );
}

/** Reads a client's JSON-RPC body; a ready error reply when it must be refused. */
export async function readClientBody(request: Request): Promise<ParsedBody | Response> {
  let body: ParsedBody;
  try {
    body = parseJsonRpcBody(await request.text());
  } catch (error) {
    if (!(error instanceof JsonRpcParseError)) throw error;
    return jsonRpcReply(errorResponse(error.id, error.code, error.message), 400);
  }
  const reserved = hasReservedId(body.messages);
  if (reserved !== null) {
    const message = 'Invalid Request: ids starting with "gw:" are reserved';
    return jsonRpcReply(errorResponse(reserved, ErrorCode.InvalidRequest, message), 400);
  }
  return body;
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
  const message = timeout ? `Upstream did not answer within ${timeoutMs} ms` : "Upstream unreachable";
  const errors = (options.ids ?? []).map((id) => errorResponse(id, code, message));
  const all = [...errors, ...(options.also ?? [])];
  const single = all[0] ?? errorResponse(null, code, message);
  return jsonRpcReply(options.batch ? all : single, timeout ? 504 : 502);
}

/** Audit outcome: "denied" for refused messages, `forwarded` for the rest. */
export function outcomeUnlessDenied(forwarded: string): (verdict: MessageVerdict) => string {
  return (verdict) => (verdict.decision && !verdict.decision.allow ? "denied" : forwarded);
}

/** The answer to a session id the caller may not (or can no longer) use. */
export function sessionNotFound(): Response {
  return jsonRpcReply(errorResponse(null, ErrorCode.SessionNotFound, "Session not found"), 404);
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
