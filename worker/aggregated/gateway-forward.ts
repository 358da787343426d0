// One request forwarded upstream on behalf of an exchange's caller (policy
// already checked): the upstream call with the exchange's credentials, lease
// and upstream sessions; failures mapped to JSON-RPC errors; the audit note
// filled in; and what the upstream sends while it works (progress, log
// messages, its own requests to the client) relayed back to the caller.

import { ProtocolError, type ServerContext } from "@modelcontextprotocol/server";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import {
  callUpstream,
  UpstreamCallError,
  type UpstreamProgress,
  type UpstreamRequest,
} from "../upstream/upstream-call.ts";
import type { AuditNote, GatewayExchange } from "./gateway-exchange.ts";
import { upstreamRelay } from "./gateway-relay.ts";
import { forwardWithInput } from "./input-exchange.ts";
import { resultCache, withHintsFor } from "./result-cache.ts";

/** Upstream call options for one request: its cancellation and progress relay. */
export interface UpstreamCallOptions {
  signal: AbortSignal;
  onProgress?: (progress: UpstreamProgress) => void;
  /** The client request being served: what the upstream sends on its own is relayed to it (gateway-relay.ts). */
  context?: ServerContext;
}

/**
 * One request to `server` on behalf of the exchange's caller (policy already
 * checked): egress credential, leased replica, the client session's upstream
 * session; the audit note gets the upstream status and outcome.
 */
export async function forwardUpstream(
  exchange: GatewayExchange,
  server: ServerRecord,
  request: UpstreamRequest,
  note: AuditNote,
  options: UpstreamCallOptions,
): Promise<Record<string, unknown>> {
  const { context, ...callOptions } = options;
  const relay = context && upstreamRelay(exchange, context, server.path);
  try {
    // A 2026 caller that can answer input requests: the call is held where its retry can reach it;
    // its progress still streams to this round's response (input-exchange.ts).
    const bridged = context
      ? await forwardWithInput(exchange, server, request, context, callOptions.onProgress)
      : null;
    if (bridged?.kind === "input_required") return bridged.result;
    // 2026-07-28 caching hints honoured (result-cache.ts); policy was decided before this call.
    const outcome =
      bridged?.outcome ??
      (await resultCache.through(exchange.principal, server, request, () =>
        callUpstream(server, request, {
          secrets: exchange.secrets,
          lease: exchange.lease,
          fetch: exchange.services.egress.fetch,
          ...callOptions,
          ...(relay && { relay }),
          ...(exchange.upstreamSessions && { sessions: exchange.upstreamSessions }),
          defer: (work) => exchange.defer(work),
        }),
      ));
    note.upstreamStatus = outcome.upstreamStatus;
    if (outcome.result.isError === true) note.outcome = "tool_error";
    return withHintsFor(exchange.generation, outcome.result, withoutProtocolFields(outcome.result));
  } catch (error) {
    if (!(error instanceof UpstreamCallError)) throw error;
    note.upstreamStatus = error.upstreamStatus;
    note.outcome = OUTCOME[error.failure];
    throw asProtocolError(error);
  }
}

const OUTCOME: Record<UpstreamCallError["failure"], string> = {
  rejected: "upstream_error",
  unavailable: "upstream_error",
  misconfigured: "error",
  timeout: "timeout",
  cancelled: "cancelled",
  refused: "refused",
};

function asProtocolError(error: UpstreamCallError): ProtocolError {
  switch (error.failure) {
    case "rejected":
      return new ProtocolError(
        error.rpc?.code ?? ErrorCode.InternalError,
        error.rpc?.message ?? error.reason,
        error.rpc?.data,
      );
    case "timeout":
      return new ProtocolError(ErrorCode.UpstreamTimeout, error.reason);
    case "refused":
      return new ProtocolError(
        error.rpc?.code ?? ErrorCode.UpstreamUnavailable,
        error.reason,
        error.rpc?.data,
      );
    case "cancelled":
      return new ProtocolError(ErrorCode.InternalError, error.reason);
    default:
      return new ProtocolError(ErrorCode.UpstreamUnavailable, error.reason);
  }
}

export function describeFailure(error: unknown): { kind: string; message: string; code?: number } {
  if (error instanceof ProtocolError) {
    const kind =
      error.code === ErrorCode.UpstreamTimeout
        ? "timeout"
        : error.code === ErrorCode.UpstreamUnavailable
          ? "unavailable"
          : "rejected";
    return { kind, message: error.message, code: error.code };
  }
  return { kind: "error", message: "the call failed" };
}

/**
 * Contexts of plain stateless calls (direct-call.ts: no progress token, no log
 * level, no capability to bridge): nothing to relay and no input to hold, so
 * the relay and the input bridge are not even consulted.
 */
const plainCalls = new WeakSet<ServerContext>();

export function markPlainCall(ctx: ServerContext): ServerContext {
  plainCalls.add(ctx);
  return ctx;
}

/** Upstream call options for a request: its cancellation, and its progress relayed when the client asked for it. */
export function relayed(ctx: ServerContext): UpstreamCallOptions {
  if (plainCalls.has(ctx)) return { signal: ctx.mcpReq.signal };
  const progressToken = ctx.mcpReq._meta?.progressToken;
  if (progressToken === undefined) return { signal: ctx.mcpReq.signal, context: ctx };
  return {
    signal: ctx.mcpReq.signal,
    context: ctx,
    onProgress: (progress) => {
      const params = { progressToken, ...progress };
      ctx.mcpReq.notify({ method: "notifications/progress", params }).catch(() => {});
    },
  };
}

/** Fields the upstream's protocol revision put on its result; the gateway's own server sets them for its caller. */
function withoutProtocolFields(result: Record<string, unknown>): Record<string, unknown> {
  const { resultType: _resultType, ttlMs: _ttlMs, cacheScope: _cacheScope, ...rest } = result;
  if (typeof rest._meta === "object" && rest._meta !== null) {
    const meta = Object.fromEntries(
      Object.entries(rest._meta as Record<string, unknown>).filter(
        ([key]) => !key.startsWith("io.modelcontextprotocol/"),
      ),
    );
    if (Object.keys(meta).length === 0) delete rest._meta;
    else rest._meta = meta;
  }
  return rest;
}
