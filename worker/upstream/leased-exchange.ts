// One exchange with an upstream replica, chosen and watched by the resilience
// layer: `withFailover` leases a replica (load balancing, circuit breakers,
// rate limits), `send` talks to it, and the outcome goes back to the replica's
// circuit. A streamed answer is reported when its stream ends or breaks, so a
// cut stream counts against the replica that cut it.

import type { Principal } from "../auth/principal.ts";
import { mediaTypeOf } from "../protocol/media-type.ts";
import {
  type AttemptResult,
  isLeaseRefusal,
  type LeaseOutcome,
  type LeaseRefusal,
  NEVER_REACHED_STATUSES,
  type UpstreamLease,
  type WaitUntil,
  withFailover,
} from "../resilience/lease.ts";
import type { ResilienceDeps } from "../resilience/settings.ts";
import { onSoleReplica } from "../resilience/sole-replica.ts";
import type { ServerRecord, Transport, UpstreamEndpoint } from "../store/registry-store.ts";
import type { SecretSource } from "./egress.ts";
import { type ForwardedRequest, forwardUpstream, type UpstreamFailure } from "./upstream-request.ts";

/** An upstream's answer, or why there is none (the reader works out which headers a client may see). */
export type SendResult = { response: Response } | UpstreamFailure;

/**
 * An SSE answer whose stream the lease watches (`watchStream`): `body` is the
 * watched stream and `upstream` the upstream's own response, read for its
 * status and headers only (its body is being piped into `body`). `response`,
 * the two as one Response, is built on first read: a reader that streams
 * `body` into its own client Response (the steady POST) does not pay for a
 * Response it would only unwrap again.
 */
export class WatchedAnswer {
  #response: Response | undefined;

  constructor(
    readonly upstream: Response,
    readonly body: ReadableStream<Uint8Array>,
  ) {}

  get response(): Response {
    this.#response ??= new Response(this.body, this.upstream);
    return this.#response;
  }
}

export type Exchange = { result: SendResult; lease: UpstreamLease } | { refusal: LeaseRefusal };

export interface ExchangeOptions {
  /** The JSON-RPC methods sent (decides retries); none for GET streams and DELETE. */
  methods?: string[];
  /** The replica an upstream session lives on: only it may serve the exchange. */
  pinnedUrl?: string;
}

/** What a leased exchange needs to know of the request (the per-server proxy's context has it all). */
export interface LeasedExchangeContext {
  request: Request;
  server: ServerRecord;
  transport: Transport;
  principal: Principal;
  resilience: ResilienceDeps;
  waitUntil: WaitUntil;
  /** For a `ForwardedRequest` (upstream-request.ts `forwardUpstream`). */
  secrets: SecretSource;
  upstreamFetch: typeof fetch;
}

/** What goes to the leased replica: the client's request sent on, or an exchange of the caller's own. */
export type ExchangeSend = ForwardedRequest | ((endpoint: UpstreamEndpoint) => Promise<SendResult>);

/**
 * One exchange on a leased replica. A `ForwardedRequest` is sent here
 * (upstream-request.ts), so the steady POST does not call back into the
 * proxy while the lease runs; a function sends whatever the caller builds.
 */
export async function leasedExchange(
  ctx: LeasedExchangeContext,
  options: ExchangeOptions,
  send: ExchangeSend,
): Promise<Exchange> {
  const { pinnedUrl } = options;
  // The steady state (one replica, no limit, closed circuit) in one module; the rest on the full path.
  const sole = await onSoleReplica(
    ctx.resilience,
    ctx.waitUntil,
    ctx.server,
    pinnedUrl ? { transport: ctx.transport, pinnedUrl } : { transport: ctx.transport },
    (lease) => attempt(ctx, send, lease),
  );
  if (sole !== null) return { result: sole.value, lease: sole.lease };
  const affinityKey = ctx.request.headers.get("mcp-session-id") ?? undefined;
  const outcome = await withFailover(
    ctx.resilience,
    ctx.waitUntil,
    ctx.server,
    {
      principal: ctx.principal,
      transport: ctx.transport,
      ...(options.methods ? { method: options.methods } : {}),
      ...(pinnedUrl ? { pinnedUrl } : {}),
      ...(affinityKey ? { affinityKey } : {}),
    },
    (lease) => attempt(ctx, send, lease),
  );
  if (isLeaseRefusal(outcome)) return { refusal: outcome };
  return { result: outcome.value, lease: outcome.lease };
}

/** One attempt on the leased replica, timed and judged for its circuit. */
async function attempt(
  ctx: LeasedExchangeContext,
  send: ExchangeSend,
  lease: UpstreamLease,
): Promise<AttemptResult<SendResult>> {
  const started = Date.now();
  const result =
    typeof send === "function"
      ? await send(lease.endpoint)
      : await forwardUpstream(ctx, lease.endpoint, send);
  return judge(result, Date.now() - started);
}

/** How an answer counts for the replica's circuit, and whether it may fail over. */
function judge(result: SendResult, latencyMs: number): AttemptResult<SendResult> {
  if ("kind" in result) {
    // A failed fetch cannot prove the request never left, so it counts as reached.
    return { value: result, ok: false, reachedUpstream: true, latencyMs, reason: result.kind };
  }
  const { response } = result;
  if (response.status >= 500) {
    return {
      value: result,
      ok: false,
      reachedUpstream: !NEVER_REACHED_STATUSES.has(response.status),
      latencyMs,
      reason: `HTTP ${response.status}`,
    };
  }
  const isStream = mediaTypeOf(response.headers.get("content-type")) === "text/event-stream";
  if (!isStream || response.body === null)
    return { value: result, ok: true, reachedUpstream: true, latencyMs };
  const { body, settled } = watchStream(response.body, latencyMs);
  const watched = new WatchedAnswer(response, body);
  return { value: watched, ok: true, reachedUpstream: true, latencyMs, settled };
}

/**
 * Passes a stream through and tells how it ended: completed (ok), broken by
 * the upstream (a failure for its circuit), or abandoned by the client (not
 * the replica's fault, so not a failure either). The bytes go through a
 * native pipe (no JavaScript per chunk); when the pipe fails, the source's
 * own state tells which side ended it: a client that hung up cancelled the
 * source (closed), an upstream that broke left it errored.
 */
export function watchStream(
  source: ReadableStream<Uint8Array>,
  latencyMs: number,
): { body: ReadableStream<Uint8Array>; settled: Promise<LeaseOutcome> } {
  const { readable, writable } = new IdentityTransformStream();
  const ok: LeaseOutcome = { ok: true, reachedUpstream: true, latencyMs };
  const cut: LeaseOutcome = { ok: false, reachedUpstream: true, latencyMs, reason: "stream cut" };
  const settled = source.pipeTo(writable).then(
    () => ok,
    async () => {
      try {
        await source.getReader().closed;
        return ok;
      } catch {
        return cut;
      }
    },
  );
  return { body: readable as ReadableStream<Uint8Array>, settled };
}
