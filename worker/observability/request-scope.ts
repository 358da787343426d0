// The request a piece of code is running for, without threading it through
// every call: an AsyncLocalStorage scope opened by the telemetry middleware
// (and by Durable Objects serving a forwarded request). Metrics use its
// `waitUntil` to write after the response; tracing uses its current span.
import { AsyncLocalStorage } from "node:async_hooks";
import type { WaitUntil } from "./audit.ts";
import type { MetricsRecorder } from "./metrics.ts";
import type { RequestTrace, Span } from "./tracing.ts";

export interface RequestScope {
  waitUntil: WaitUntil;
  /** Null when tracing is off or the request was not sampled. */
  trace: RequestTrace | null;
  /** The span new spans are children of. */
  span: Span | null;
  metrics: MetricsRecorder;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}
