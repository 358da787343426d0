// The entry of every request past the composition root: the Host check
// (ALLOWED_HOSTS), then its scope (observability/tracing.ts) with its
// trace (the caller's traceparent, or a new one) and the ingress span. When
// the handler is done it counts the facts the stages left on the scope (the
// authentication's outcome) and queues the spans for export: the stages
// hand facts over, observability is entered once at the end.
import type { MiddlewareHandler } from "hono";
import type { WaitUntil } from "../observability/audit.ts";
import { METRICS } from "../observability/metrics-catalog.ts";
import { beginTrace, parseTraceparent, type RequestScope, runInScope } from "../observability/tracing.ts";
import { GatewayError } from "./errors.ts";
import { isAllowedHost } from "./host-allowlist.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** The request's scope (set by `telemetry`): stages put their facts on it. */
    scope: RequestScope;
  }
}

/**
 * Checks the Host (421 unless allowed, when ALLOWED_HOSTS is set), opens the
 * request's scope: its trace (the caller's traceparent or a new one) and the
 * ingress span; counts the scope's facts and queues the spans when it is done.
 */
export function telemetry(): MiddlewareHandler<{ Bindings: Env }> {
  return async function telemetryMiddleware(c, next) {
    // Services and configuration come from the composition root (provideServices runs first).
    // c.get, not c.var: c.var copies every context variable into a new object on each read.
    const config = c.get("config");
    const headers = c.req.raw.headers;
    const allowed = config.allowedHosts;
    // Unset (the default, and always on Cloudflare): host-allowlist.ts is not entered.
    if (allowed !== null && !isAllowedHost(headers.get("host") ?? new URL(c.req.url).host, allowed)) {
      throw new GatewayError("validation", {
        status: 421,
        detail: "This gateway does not answer to that Host (ALLOWED_HOSTS)",
        errors: [{ field: "Host", message: "not an allowed host" }],
      });
    }
    const { tracer, metrics } = c.get("services");
    const traceparent = headers.get("traceparent");
    const incoming = traceparent === null ? null : parseTraceparent(traceparent, headers.get("tracestate"));
    const trace = beginTrace(incoming, config.observability.tracing.sampleRatio, tracer.exporting);
    // Named and given attributes only once it is known to be kept (at the end:
    // a `_meta` context read later can still make the trace recorded), so the
    // request path of an unrecorded trace builds no name or attribute object.
    const span = trace.start("ingress", null, "server");
    const waitUntil = executionContext(c);
    const scope: RequestScope = {
      waitUntil: waitUntil ?? NO_WAIT,
      trace,
      span,
      metrics,
      authentication: null,
    };
    c.set("scope", scope);
    try {
      await runInScope(scope, next);
    } finally {
      const authentication = scope.authentication;
      if (authentication) {
        const success = authentication.success ? "true" : "false";
        metrics.count(METRICS.authRequests, { success, reason: authentication.reason }, 1, scope.waitUntil);
        metrics.observe(METRICS.authLatency, { success }, authentication.seconds, scope.waitUntil);
      }
      if (trace.recording) {
        span.name = `${c.req.method} ${routeName(c.req.path)}`;
        span.end(
          {
            "http.request.method": c.req.method,
            "url.path": c.req.path,
            "http.response.status_code": c.res.status,
          },
          c.res.status >= 500 ? "server_error" : null,
        );
        tracer.finish(trace, waitUntil);
      }
    }
  };
}

const NO_WAIT: WaitUntil = { waitUntil: () => {} };

/** Low-cardinality span names: registered paths are not part of the name. */
function routeName(path: string): string {
  if (
    path === "/mcp" ||
    path.startsWith("/api/") ||
    path.startsWith("/.well-known/") ||
    path === "/metrics"
  ) {
    return path.startsWith("/api/v1/servers/") ? "/api/v1/servers/{id}" : path;
  }
  const match = /^\/[^/]+\/(mcp|sse|message)$/.exec(path);
  return match ? `/{path}/${match[1]}` : path;
}

function executionContext(c: { executionCtx: WaitUntil }): WaitUntil | null {
  try {
    return c.executionCtx;
  } catch {
    return null; // app.request() in unit tests has none
  }
}
