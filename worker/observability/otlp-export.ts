// OTLP/HTTP export of finished spans (JSON encoding). Spans of every request
// an isolate serves are gathered for a moment and sent in one POST under the
// request's waitUntil, so export never delays a response; a failed export is
// logged and dropped (tracing must never hurt serving).
import type { WaitUntil } from "./audit.ts";
import type { TracingSettings } from "./settings.ts";
import type { AttributeValue, FinishedSpan, RequestTrace, SpanKind } from "./tracing.ts";

// A few POSTs a second from a busy isolate (each carries up to 512 spans).
export const EXPORT_DELAY_MS = 500;
const MAX_SPANS_PER_EXPORT = 512;
const MAX_BUFFERED = 4_096;

// OTLP SpanKind: INTERNAL 1, SERVER 2, CLIENT 3. Status: OK 1, ERROR 2.
const KIND: Record<SpanKind, number> = { internal: 1, server: 2, client: 3 };

export class TraceExporter {
  private buffer: FinishedSpan[] = [];
  private flushScheduled = false;
  /** An endpoint is configured (a field, not a getter: read on every request's entry). */
  readonly exporting: boolean;

  constructor(
    private readonly settings: TracingSettings,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
    private readonly delayMs = EXPORT_DELAY_MS,
  ) {
    this.exporting = settings.endpoint !== null;
  }

  /** Queues a finished request's spans for export. */
  finish(trace: RequestTrace, waitUntil: WaitUntil | null): void {
    if (!trace.recording || trace.finished.length === 0) return;
    // Spans finished before the trace adopted a `_meta` context still belong to the request's trace.
    const spans = trace.finished.splice(0);
    for (const span of spans) span.traceId = trace.traceId;
    if (this.buffer.length < MAX_BUFFERED) this.buffer.push(...spans);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const later = new Promise((resolve) => setTimeout(resolve, this.delayMs)).then(() => {
      this.flushScheduled = false;
      return this.flush();
    });
    waitUntil?.waitUntil(later);
  }

  async flush(): Promise<void> {
    const endpoint = this.settings.endpoint;
    while (endpoint && this.buffer.length > 0) {
      const spans = this.buffer.splice(0, MAX_SPANS_PER_EXPORT);
      try {
        const response = await this.fetchFn(endpoint, {
          method: "POST",
          headers: { ...this.settings.headers, "content-type": "application/json" },
          body: JSON.stringify(otlpRequest(this.settings.serviceName, spans)),
        });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`collector answered ${response.status}`);
      } catch (error) {
        console.error(
          JSON.stringify({
            level: "error",
            event: "trace_export_failed",
            lost: spans.length,
            error: String(error),
          }),
        );
      }
    }
  }
}

/** An ExportTraceServiceRequest in OTLP's JSON encoding (ids as hex, times as decimal strings). */
export function otlpRequest(serviceName: string, spans: FinishedSpan[]) {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes({ "service.name": serviceName }) },
        scopeSpans: [
          {
            scope: { name: "mcp-gateway" },
            spans: spans.map((span) => ({
              traceId: span.traceId,
              spanId: span.spanId,
              ...(span.parentSpanId && { parentSpanId: span.parentSpanId }),
              name: span.name,
              kind: KIND[span.kind],
              startTimeUnixNano: nanos(span.startMs),
              endTimeUnixNano: nanos(Math.max(span.endMs, span.startMs)),
              attributes: attributes(span.attributes),
              status: span.error ? { code: 2, message: span.error } : { code: 1 },
            })),
          },
        ],
      },
    ],
  };
}

/** Epoch milliseconds as the decimal nanoseconds OTLP wants (a whole number of ms: append six zeros). */
function nanos(ms: number): string {
  return `${Math.round(ms)}000000`;
}

function attributes(values: Record<string, AttributeValue>) {
  return Object.entries(values).map(([key, value]) => ({
    key,
    value:
      typeof value === "string"
        ? { stringValue: value }
        : typeof value === "boolean"
          ? { boolValue: value }
          : Number.isInteger(value)
            ? { intValue: String(value) }
            : { doubleValue: value },
  }));
}
