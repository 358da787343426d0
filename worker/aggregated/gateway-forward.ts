// One request forwarded upstream on behalf of an exchange's caller (policy
// already checked): the upstream call with the exchange's credentials, lease
// and upstream sessions; failures mapped to JSON-RPC errors; the audit note
// filled in; and what the upstream sends while it works (progress, log
// messages, its own requests to the client) relayed back to the caller.

import { ProtocolError, type ServerContext } from "@modelcontextprotocol/server";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { callUpstream, type UpstreamProgress, type UpstreamRequest } from "../upstream/upstream-call.ts";
import { upstreamAnswer, upstreamFailure } from "./direct-call.ts";
import type { AuditNote, GatewayExchange } from "./gateway-exchange.ts";
import { upstreamRelay } from "./gateway-relay.ts";
import { forwardWithInput } from "./input-exchange.ts";
import { resultCache } from "./result-cache.ts";

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
    return upstreamAnswer(exchange.generation, outcome, note);
  } catch (error) {
    throw upstreamFailure(error, note);
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

/** Upstream call options for a request: its cancellation, and its progress relayed when the client asked for it. */
export function relayed(ctx: ServerContext): UpstreamCallOptions {
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
