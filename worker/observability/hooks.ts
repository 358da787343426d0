// The small API the edges call: one-line hooks for authentication, rate
// limits, discovery, policy and upstream requests, all reading the request's
// scope (opened by http/telemetry.ts). Everything here is a few map updates
// and span objects; storage is written after the response.
import type { WaitUntil } from "./audit.ts";
import type { MetricsRecorder } from "./metrics.ts";
import { METRICS } from "./metrics-catalog.ts";
import {
  type AttributeValue,
  currentScope,
  type RequestScope,
  rewriteMetaTraceparent,
  type Span,
  startUpstreamSpan,
  withSpan,
} from "./tracing.ts";

/** Counts an authentication (success, or the refusal's reason class) with its latency, as a span too. */
export async function observeAuthentication<T>(work: () => Promise<T>): Promise<T> {
  const started = Date.now();
  return withSpan("authenticate", {}, async (span) => {
    try {
      const result = await work();
      recordAuthentication(true, "ok", started);
      return result;
    } catch (error) {
      const reason = authFailureReason(error);
      if (span) span.attributes["auth.failure_reason"] = reason;
      recordAuthentication(false, reason, started);
      throw error;
    }
  });
}

/** An authentication decided without verifying a token (missing or malformed header). */
export function recordAuthentication(success: boolean, reason: string, startedAt = Date.now()): void {
  const metrics = currentScope()?.metrics;
  if (!metrics) return;
  const flag = success ? "true" : "false";
  metrics.count(METRICS.authRequests, { success: flag, reason });
  metrics.observe(METRICS.authLatency, { success: flag }, (Date.now() - startedAt) / 1000);
}

/**
 * A bounded label for a refusal: the public reason as a slug, with the two
 * reasons that embed request data (size, algorithm) folded to one value.
 */
export function authFailureReason(error: unknown): string {
  const text = error instanceof Error && "reason" in error ? String(error.reason) : "error";
  if (text.includes("larger than")) return "token_too_large";
  if (text.startsWith("the algorithm")) return "algorithm_not_allowed";
  return (
    text
      .toLowerCase()
      .replace(/^the token('s)? /, "")
      .replace(/[^a-z0-9]+/g, "_")
      .replace(/^_|_$/g, "")
      .slice(0, 60) || "error"
  );
}

/** Counts a refusal by a rate limit. */
export function recordRateLimitRefusal(tenant: string, scope: string): void {
  currentScope()?.metrics.count(METRICS.rateLimitRefusals, { tenant, scope });
}

/** A discovery query: span, count (by the mode that answered) and latency. */
export async function observeDiscovery<T extends { mode?: string }>(
  tenant: string,
  type: string,
  work: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  return withSpan("search", { "search.type": type }, async () => {
    const result = await work();
    const metrics = currentScope()?.metrics;
    metrics?.count(METRICS.discovery, { tenant, type, mode: result.mode ?? "keyword" });
    metrics?.observe(METRICS.discoveryLatency, { tenant, type }, (Date.now() - started) / 1000);
    return result;
  });
}

/** Runs the policy step (loading the caller's policy and deciding) as a span. */
export function observePolicy<T>(work: () => Promise<T>): Promise<T> {
  return withSpan("policy", {}, work);
}

/**
 * A fetch for upstream MCP requests: a client span under the current one,
 * its traceparent on the request (replacing the caller's, so the upstream
 * sees the gateway as its parent), and the upstream latency histogram.
 */
export function tracedFetch(base: typeof fetch, labels: { tenant: string; server: string }): typeof fetch {
  return async (input, init) => {
    const scope = currentScope();
    if (!scope) return base(input, init);
    const span = startUpstreamSpan({ "mcp.server": labels.server });
    const sent = span ? withTraceContext(input, init, span) : init;
    const started = Date.now();
    try {
      const response = await base(input, sent);
      const statusClass = `${Math.floor(response.status / 100)}xx`;
      const attributes = { "http.response.status_code": response.status };
      endUpstream(
        scope,
        span,
        labels,
        started,
        statusClass,
        attributes,
        response.status >= 500 ? statusClass : null,
      );
      return response;
    } catch (error) {
      const aborted =
        error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
      const outcome = aborted ? "timeout" : "unreachable";
      endUpstream(scope, span, labels, started, outcome, {}, outcome);
      throw error;
    }
  };
}

/**
 * The request's init naming `span` as the upstream's parent (`traceparent`,
 * `tracestate`, and a `_meta.traceparent` in a string body). Headers given as
 * a `Headers` object are set in place, not copied: both callers
 * (upstream-request.ts, direct-exchange.ts and the SDK transport) build a new
 * one per upstream request, and the copy with the init's spread was ~1% of the
 * isolate's time in bench:profile. Any other form is copied first.
 */
function withTraceContext(input: RequestInfo | URL, init: RequestInit | undefined, span: Span): RequestInit {
  const given = init?.headers;
  const headers =
    given instanceof Headers
      ? given
      : new Headers(given ?? (input instanceof Request ? input.headers : undefined));
  const traceparent = span.traceparent;
  headers.set("traceparent", traceparent);
  const state = span.trace.context.tracestate;
  if (state) headers.set("tracestate", state);
  const body = init?.body;
  const rewritten = typeof body === "string" ? rewriteMetaTraceparent(body, traceparent, state) : body;
  if (init && headers === given && rewritten === body) return init;
  return { ...init, headers, body: rewritten };
}

/** Ends an upstream request's span and observes its latency (a function, not a closure per request). */
function endUpstream(
  scope: RequestScope,
  span: Span | null,
  labels: { tenant: string; server: string },
  started: number,
  outcome: string,
  attributes: Record<string, AttributeValue>,
  error: string | null,
): void {
  span?.end(attributes, error);
  scope.metrics.observe(
    METRICS.upstreamLatency,
    { tenant: labels.tenant, server: labels.server, outcome },
    (Date.now() - started) / 1000,
  );
}

/** What a server's state object reports (it has no request scope: its own waitUntil is passed). */
export interface ServerEventSink {
  metrics: MetricsRecorder;
  waitUntil: WaitUntil;
  tenant: string;
  server: string;
}

export function recordHealthCheck(sink: ServerEventSink, status: string): void {
  sink.metrics.count(
    METRICS.healthChecks,
    { tenant: sink.tenant, server: sink.server, status },
    1,
    sink.waitUntil,
  );
}

export function recordCircuitOpened(sink: ServerEventSink): void {
  sink.metrics.count(
    METRICS.circuitOpenings,
    { tenant: sink.tenant, server: sink.server },
    1,
    sink.waitUntil,
  );
}

export function recordCatalogChanges(
  sink: ServerEventSink,
  changes: { kind: string; change: string }[],
): void {
  for (const { kind, change } of changes) {
    sink.metrics.count(
      METRICS.catalogChanges,
      { tenant: sink.tenant, server: sink.server, kind, change },
      1,
      sink.waitUntil,
    );
  }
}
