// The ingress of every request: opens its scope (observability/request-scope.ts)
// with its trace (the caller's traceparent, or a new one) and the ingress
// span, and queues the spans for export when the handler is done.
import type { MiddlewareHandler } from "hono";
import type { WaitUntil } from "../observability/audit.ts";
import { runInScope } from "../observability/request-scope.ts";
import { beginTrace, parseTraceparent } from "../observability/tracing.ts";

/**
 * Opens the request's scope: its trace (the caller's traceparent or a new
 * one) and the ingress span; queues the spans for export when it is done.
 */
export function telemetry(): MiddlewareHandler<{ Bindings: Env }> {
  return async function telemetryMiddleware(c, next) {
    // Services and configuration come from the composition root (provideServices runs first).
    const { tracer, metrics } = c.var.services;
    const settings = c.var.config.observability.tracing;
    const headers = c.req.raw.headers;
    const incoming = parseTraceparent(headers.get("traceparent"), headers.get("tracestate"));
    const trace = beginTrace(incoming, settings.sampleRatio, tracer.exporting);
    // Named and given attributes only once it is known to be kept (at the end:
    // a `_meta` context read later can still make the trace recorded), so the
    // request path of an unrecorded trace builds no name or attribute object.
    const span = trace.start("ingress", null, "server");
    const waitUntil = executionContext(c);
    try {
      await runInScope({ waitUntil: waitUntil ?? NO_WAIT, trace, span, metrics }, () => next());
    } finally {
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
      }
      tracer.finish(trace, waitUntil);
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
