// Building the request the gateway sends to an upstream MCP server, and
// reading back which of its response headers a client may see. The client's
// credentials, cookies and gateway headers never leave the gateway; the
// server's own egress credential is added instead.
import { tracedFetch } from "../observability/hooks.ts";
import type { ServerRecord, UpstreamEndpoint } from "../store/registry-store.ts";
import { applyEgress, type SecretSource } from "./egress.ts";
import { EgressRefusedError } from "./guarded-fetch.ts";

/** Request headers an MCP client may pass through to the upstream. */
const FORWARDED_REQUEST_HEADERS = [
  "accept",
  "content-type",
  "mcp-protocol-version",
  "last-event-id",
  "mcp-method",
  "mcp-name",
  "traceparent",
  "tracestate",
  "user-agent",
];
const FORWARDED_REQUEST_PREFIXES = ["mcp-param-"];

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
  const { url, headers: egressHeaders } = applyEgress(
    options.targetUrl ?? endpoint.url,
    server.egress,
    secrets,
  );
  const headers = new Headers();
  clientHeaders.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (
      FORWARDED_REQUEST_HEADERS.includes(lower) ||
      FORWARDED_REQUEST_PREFIXES.some((p) => lower.startsWith(p))
    ) {
      headers.set(lower, value);
    }
  });
  if (options.upstreamSessionId) headers.set("mcp-session-id", options.upstreamSessionId);
  for (const [name, value] of Object.entries(egressHeaders)) headers.set(name, value);
  return { url, headers, labels: { tenant: server.tenant, server: server.path } };
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
): Promise<{ response: Response; abort: () => void } | UpstreamFailure> {
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
    return { response, abort: () => controller.abort() };
  } catch (error) {
    if (timedOut) return { kind: "timeout" };
    if (error instanceof EgressRefusedError)
      return { kind: "unreachable", message: error.message, refused: true };
    return { kind: "unreachable", message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
