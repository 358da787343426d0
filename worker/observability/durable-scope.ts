// The request scope inside a Durable Object serving a call from the Worker
// (the McpSession object serving a session-based /mcp request): the object
// continues the Worker's trace (the span the Worker carried over, see
// `carryTrace`), so its spans (policy, upstream call) are children of the
// Worker's ingress span in the same trace and upstreams see the same trace id.
// Spans are exported by the object's own exporter after the response's body
// has been sent: a streamed (SSE) answer makes its upstream calls after the
// object has returned the Response.
import type { WaitUntil } from "./audit.ts";
import type { MetricsRecorder } from "./metrics.ts";
import type { TraceExporter } from "./otlp-export.ts";
import type { TracingSettings } from "./settings.ts";
import {
  type AttributeValue,
  beginTrace,
  type CarriedTrace,
  parseTraceparent,
  runInScope,
} from "./tracing.ts";

export interface DurableScopeDeps {
  tracer: TraceExporter;
  metrics: MetricsRecorder;
  tracing: TracingSettings;
  /** The object's state (`ctx`). */
  waitUntil: WaitUntil;
  /** Passes a body through and calls `done` once it ended, failed or was cancelled. */
  afterBody: (body: ReadableStream<Uint8Array>, done: () => void) => ReadableStream<Uint8Array>;
}

/**
 * Runs `work` (one RPC call answering an HTTP request) in a scope of its own:
 * the carried trace (or a new one when the caller had none), one internal
 * span `name` over the call and its answer's body, then the spans queued for
 * export under the object's waitUntil.
 */
export async function serveInDurableScope<Answer extends { status: number }>(
  deps: DurableScopeDeps,
  carried: CarriedTrace | null | undefined,
  name: string,
  // A Response, or an answer that is not one (a session's JSON answer, platform/durable-objects.ts).
  work: () => Promise<Answer>,
): Promise<Answer> {
  const incoming = carried ? parseTraceparent(carried.traceparent, carried.tracestate) : null;
  const trace = beginTrace(incoming, deps.tracing.sampleRatio, deps.tracer.exporting);
  // Internal, not server: the Worker's ingress span is the trace's one server span per request.
  const span = trace.start(name, null, "internal");
  const finish = (attributes: Record<string, AttributeValue>, error: string | null) => {
    span.end(attributes, error);
    deps.tracer.finish(trace, deps.waitUntil);
  };
  let response: Answer;
  try {
    response = await runInScope({ waitUntil: deps.waitUntil, trace, span, metrics: deps.metrics }, work);
  } catch (error) {
    finish({}, error instanceof Error ? error.name : "error");
    throw error;
  }
  const status = { "http.response.status_code": response.status };
  const error = response.status >= 500 ? "server_error" : null;
  // Unrecorded traces keep nothing to export: no need to follow the body.
  if (!trace.recording || !(response instanceof Response) || !response.body) {
    finish(status, error);
    return response;
  }
  return new Response(
    deps.afterBody(response.body, () => finish(status, error)),
    {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    },
  ) as Answer & Response;
}
