// Building the request the gateway sends to an upstream MCP server, and
// reading back which of its response headers a client may see. The client's
// credentials, cookies and gateway headers never leave the gateway; the
// server's own egress credential is added instead.
import { tracedFetch } from "../observability/hooks.ts";
import type { ServerRecord, UpstreamEndpoint } from "../store/registry-store.ts";
import { applyEgress, type SecretSource } from "./egress.ts";
import { EgressRefusedError } from "./guarded-fetch.ts";

/** Request headers an MCP client may pass through to the upstream. */
const FORWARDED_REQUEST_HEADERS = new Set([
  "accept",
  "content-type",
  "mcp-protocol-version",
  "last-event-id",
  "mcp-method",
  "mcp-name",
  "traceparent",
  "tracestate",
  "user-agent",
]);
const FORWARDED_REQUEST_PREFIX = "mcp-param-";

/** Response headers the client may see. `mcp-session-id` is handled separately (it is sealed). */
export const FORWARDED_RESPONSE_HEADERS: readonly string[] = [
  "content-type",
  "mcp-protocol-version",
  "cache-control",
  "retry-after",
];

export interface UpstreamCall {
  url: string;
  headers: Headers;
  /** Metric labels of the upstream latency (observability/hooks.ts `tracedFetch`). */
  labels?: { tenant: string; server: string };
}

/**
 * The upstream URL and headers for a client request. `upstreamSessionId` is
 * the real session id recovered from the client's sealed token, if any.
 */
export function upstreamCall(
  server: ServerRecord,
  endpoint: UpstreamEndpoint,
  clientHeaders: Headers,
  secrets: SecretSource,
  options: { upstreamSessionId?: string | null; targetUrl?: string } = {},
): UpstreamCall {
  const target = options.targetUrl ?? endpoint.url;
  // A server without an egress credential adds nothing (egress.ts is not consulted).
  const egress = server.egress === null ? null : applyEgress(target, server.egress, secrets);
  const headers = new Headers();
  // The copy runs as a module function with `headers` as `this` (no closure per request).
  clientHeaders.forEach(copyForwarded, headers);
  if (options.upstreamSessionId) headers.set("mcp-session-id", options.upstreamSessionId);
  if (egress !== null) for (const [name, value] of Object.entries(egress.headers)) headers.set(name, value);
  return { url: egress?.url ?? target, headers, labels: labelsOf(server) };
}

/** Copies one client header to the upstream's (`this`) when it may pass; names come lower-cased. */
function copyForwarded(this: Headers, value: string, name: string): void {
  if (FORWARDED_REQUEST_HEADERS.has(name) || name.startsWith(FORWARDED_REQUEST_PREFIX)) this.set(name, value);
}

// The upstream latency's labels and the traced fetch built on them, once per server record (records are
// cached and shared, registry/server-directory.ts) and egress fetch, instead of an object and a closure per request.
const labelsByServer = new WeakMap<ServerRecord, { tenant: string; server: string }>();
const tracedByLabels = new WeakMap<object, { send: typeof fetch; traced: typeof fetch }>();

function labelsOf(server: ServerRecord): { tenant: string; server: string } {
  let labels = labelsByServer.get(server);
  if (labels === undefined || labels.tenant !== server.tenant || labels.server !== server.path) {
    labels = { tenant: server.tenant, server: server.path };
    labelsByServer.set(server, labels);
  }
  return labels;
}

function tracedFor(send: typeof fetch, labels: { tenant: string; server: string }): typeof fetch {
  const known = tracedByLabels.get(labels);
  if (known !== undefined && known.send === send) return known.traced;
  const traced = tracedFetch(send, labels);
  tracedByLabels.set(labels, { send, traced });
  return traced;
}

/** What a proxied exchange sends to a replica, beyond the client's own headers. */
export interface ForwardedRequest {
  method: string;
  body?: string;
  /** The upstream's own session id (from the client's sealed token), if any. */
  upstreamSessionId: string | null;
  /** Headers set over the client's (content-type, accept). */
  set?: Record<string, string>;
  /** The client cancelled: abort the exchange. */
  signal?: AbortSignal | undefined;
}

/** The client's request sent on to `endpoint` (the proxy's one call here per attempt). */
export function forwardUpstream(
  exchange: { server: ServerRecord; request: Request; secrets: SecretSource; upstreamFetch: typeof fetch },
  endpoint: UpstreamEndpoint,
  forward: ForwardedRequest,
): Promise<UpstreamAnswer | UpstreamFailure> {
  const { server } = exchange;
  const call = upstreamCall(server, endpoint, exchange.request.headers, exchange.secrets, {
    upstreamSessionId: forward.upstreamSessionId,
  });
  const { set } = forward;
  if (set !== undefined) for (const name in set) call.headers.set(name, set[name] as string);
  return fetchUpstream(call, forward, server.timeoutMs, exchange.upstreamFetch);
}

/**
 * An upstream's answer: the response and what ends the exchange. The headers a client may see are
 * worked out by the reader (`clientResponseHeaders`, or the proxy's `passThroughHeaders`), which knows the answer's form.
 */
export interface UpstreamAnswer {
  response: Response;
  /** Aborting it ends the upstream exchange (its `abort`; no closure per request). */
  abortController: AbortController;
}

export function clientResponseHeaders(upstream: Headers): Headers {
  const headers = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}

export type UpstreamFailure =
  | { kind: "timeout" }
  /** `refused`: the egress guard would not connect; its message is safe to show. */
  | { kind: "unreachable"; message: string; refused?: boolean };

// The abort reason of a deadline that passed (told apart from a client's cancellation by identity);
// made on first use, since a Worker's global scope runs before any request.
let timedOutReason: DOMException | undefined;
function timedOut(): DOMException {
  timedOutReason ??= new DOMException("The upstream did not answer in time", "TimeoutError");
  return timedOutReason;
}

function abortTimedOut(controller: AbortController): void {
  controller.abort(timedOut());
}

/**
 * fetch with a deadline for the response headers. The deadline is cleared
 * once headers arrive, so a long-lived stream is not cut by it; the returned
 * `abort` ends the upstream exchange when the client goes away.
 */
export async function fetchUpstream(
  call: UpstreamCall,
  /** `signal`: the client cancelled (a stateless client's hang-up, edge/hang-up.ts): abort the exchange. */
  init: { method: string; body?: string | undefined; signal?: AbortSignal | undefined },
  timeoutMs: number,
  /** The egress guard's fetch (services.egress.fetch); required so no upstream request bypasses it. */
  send: typeof fetch,
): Promise<UpstreamAnswer | UpstreamFailure> {
  const controller = new AbortController();
  const timer = setTimeout(abortTimedOut, timeoutMs, controller);
  init.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  try {
    // Replaces the client's traceparent with the gateway's span; records upstream latency.
    const traced = call.labels ? tracedFor(send, call.labels) : send;
    const response = await traced(call.url, {
      method: init.method,
      headers: call.headers,
      body: init.body,
      signal: controller.signal,
      redirect: "manual",
    });
    return { response, abortController: controller };
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason === timedOutReason) return { kind: "timeout" };
    if (error instanceof EgressRefusedError)
      return { kind: "unreachable", message: error.message, refused: true };
    return { kind: "unreachable", message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
