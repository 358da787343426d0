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
  /**
   * Facts the stages hand the scope instead of calling into observability
   * (counted once when the request ends, http/telemetry.ts): so far the
   * authentication's outcome. Set on the request's own scope (never on a
   * span's child copy).
   */
  authentication?: AuthenticationFact | null;
}

/** An authentication's outcome: the `reason` label (`ok` on success) and its latency. */
export interface AuthenticationFact {
  success: boolean;
  reason: string;
  seconds: number;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

export function currentScope(): RequestScope | undefined {
  return storage.getStore();
}
