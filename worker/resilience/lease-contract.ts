// What a lease is, for everyone who takes one: the lease, its outcome, a
// refusal and how a refusal is answered in JSON-RPC. No state, no I/O.
import type { Principal } from "../auth/principal.ts";
import { ErrorCode, errorResponse, type JsonRpcId, type JsonRpcResponse } from "../protocol/jsonrpc.ts";
import type { Transport, UpstreamEndpoint } from "../store/registry-store.ts";
import type { RateLimitCharge } from "./rate-limit.ts";

export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

export interface LeaseOutcome {
  /** False for connection failures, timeouts, HTTP 5xx and cut or malformed answers. */
  ok: boolean;
  /** False only when the request provably never left for the upstream. */
  reachedUpstream: boolean;
  latencyMs: number;
  /** Why it failed, safe to show (kept with the circuit). */
  reason?: string;
}

export interface AttemptResult<T> {
  value: T;
  ok: boolean;
  /** False only when the request provably never left for the upstream. */
  reachedUpstream: boolean;
  latencyMs: number;
  reason?: string;
  /**
   * For answers that go on after the attempt returns (an SSE stream): the
   * outcome once the stream has ended or broken. The lease is reported then,
   * instead of with `ok` above (which still decides failover).
   */
  settled?: Promise<LeaseOutcome>;
}

export interface UpstreamLease {
  endpoint: UpstreamEndpoint;
  endpointIndex: number;
  /** RateLimit headers to add to the response (empty when no limit applies). */
  headers: Record<string, string>;
  /** Report once, when the upstream exchange is over (later calls are ignored). */
  done(outcome: LeaseOutcome): void;
}

export type LeaseRefusal = {
  refused: "circuit_open" | "no_replica" | "rate_limited";
  retryAfterMs: number;
  message: string;
  /** Retry-After and RateLimit headers for the refusal. */
  headers: Record<string, string>;
};

export interface LeaseOptions {
  principal: Principal;
  /** The session (or other key) consistent hashing uses when the server hashes on `session`. */
  affinityKey?: string;
  /** Only replicas of this transport. */
  transport?: Transport;
  /** Indexes of replicas not to use (those already tried). */
  exclude?: number[];
  /** An upstream session lives on this replica (its URL): lease exactly it, or refuse. */
  pinnedUrl?: string;
  /** The JSON-RPC method(s) about to be sent; decides whether a connect check is needed. */
  method?: string | string[];
  /** Which rate limits this lease charges (default all; failover retries charge none). */
  rateLimit?: RateLimitCharge;
}

export function isLeaseRefusal(value: UpstreamLease | LeaseRefusal | unknown): value is LeaseRefusal {
  return typeof value === "object" && value !== null && "refused" in value;
}

// --- answering a refusal ----------------------------------------------------

/**
 * The JSON-RPC error for a refusal on an MCP route: RateLimited (HTTP 429) or
 * UpstreamUnavailable (HTTP 503), with Retry-After and RateLimit headers and
 * `data.retryAfterMs`.
 */
export function refusalToJsonRpc(
  refusal: LeaseRefusal,
  id: JsonRpcId | null,
): { body: JsonRpcResponse; status: number; headers: Headers } {
  const rateLimited = refusal.refused === "rate_limited";
  const code = rateLimited ? ErrorCode.RateLimited : ErrorCode.UpstreamUnavailable;
  const headers = new Headers(refusal.headers);
  if (!headers.has("retry-after")) {
    headers.set("retry-after", String(Math.max(1, Math.ceil(refusal.retryAfterMs / 1000))));
  }
  return {
    body: errorResponse(id, code, refusal.message, {
      reason: refusal.refused,
      retryAfterMs: refusal.retryAfterMs,
    }),
    status: rateLimited ? 429 : 503,
    headers,
  };
}

/** Statuses with which Cloudflare's edge says the origin was never reached (refused, TCP timeout, unreachable, DNS). */
export const NEVER_REACHED_STATUSES: ReadonlySet<number> = new Set([521, 522, 523, 530]);

export function leaseRefusal(
  refused: LeaseRefusal["refused"],
  retryAfterMs: number,
  message: string,
  headers: Record<string, string>,
): LeaseRefusal {
  return { refused, retryAfterMs, message, headers };
}
