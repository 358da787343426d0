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
const FORWARDED_RESPONSE_HEADERS = ["content-type", "mcp-protocol-version", "cache-control", "retry-after"];

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
  // Header names come lower-cased from the Headers iterator.
  clientHeaders.forEach((value, name) => {
    if (FORWARDED_REQUEST_HEADERS.has(name) || name.startsWith(FORWARDED_REQUEST_PREFIX)) {
      headers.set(name, value);
    }
  });
  if (options.upstreamSessionId) headers.set("mcp-session-id", options.upstreamSessionId);
  if (egress !== null) for (const [name, value] of Object.entries(egress.headers)) headers.set(name, value);
  return { url: egress?.url ?? target, headers, labels: { tenant: server.tenant, server: server.path } };
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
  signal?: AbortSignal;
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
  if (forward.set !== undefined)
    for (const [name, value] of Object.entries(forward.set)) call.headers.set(name, value);
  return fetchUpstream(
    call,
    {
      method: forward.method,
      ...(forward.body !== undefined && { body: forward.body }),
      signal: forward.signal,
    },
    server.timeoutMs,
    exchange.upstreamFetch,
  );
}

/** An upstream's answer: the response, the headers of it a client may see, and how to end the exchange. */
export interface UpstreamAnswer {
  response: Response;
  clientHeaders: Headers;
  abort: () => void;
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

/**
 * fetch with a deadline for the response headers. The deadline is cleared
 * once headers arrive, so a long-lived stream is not cut by it; the returned
 * `abort` ends the upstream exchange when the client goes away.
 */
export async function fetchUpstream(
  call: UpstreamCall,
  /** `signal`: the client cancelled (a stateless client's hang-up, edge/hang-up.ts): abort the exchange. */
  init: { method: string; body?: string; signal?: AbortSignal },
  timeoutMs: number,
  /** The egress guard's fetch (services.egress.fetch); required so no upstream request bypasses it. */
  send: typeof fetch,
): Promise<UpstreamAnswer | UpstreamFailure> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  init.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  try {
    // Replaces the client's traceparent with the gateway's span; records upstream latency.
    const traced = call.labels ? tracedFetch(send, call.labels) : send;
    const response = await traced(call.url, {
      method: init.method,
      headers: call.headers,
      body: init.body,
      signal: controller.signal,
      redirect: "manual",
    });
    return {
      response,
      clientHeaders: clientResponseHeaders(response.headers),
      abort: () => controller.abort(),
    };
  } catch (error) {
    if (timedOut) return { kind: "timeout" };
    if (error instanceof EgressRefusedError)
      return { kind: "unreachable", message: error.message, refused: true };
    return { kind: "unreachable", message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
