// W3C Trace Context and spans, and the request scope they live in. Every
// request gets a trace: the caller's (`traceparent` header, or
// `_meta.traceparent` of a 2026-07-28 request) or a new one. Upstream requests
// carry a traceparent naming the gateway's span, whether or not spans are
// recorded; spans are recorded only for sampled traces when an OTLP endpoint
// is configured, and exported after the response (otlp-export.ts). Sampling
// is parent-based: a caller's flag wins, otherwise the configured ratio. An
// unsampled trace allocates no internal spans; so when a `_meta` context the
// gateway adopts (after authentication) turns an unsampled trace into a
// sampled one, its spans start there.
//
// The request scope: the request a piece of code is running for, without
// threading it through every call, an AsyncLocalStorage scope opened by the
// entry middleware (http/telemetry.ts) and by Durable Objects serving a
// forwarded request. Metrics use its `waitUntil` to write after the
// response; spans use its current span. (One module with the trace: the
// entry opens both in one visit.)
import { AsyncLocalStorage } from "node:async_hooks";
import type { WaitUntil } from "./audit.ts";
import type { MetricsRecorder } from "./metrics.ts";

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

export interface TraceContext {
  traceId: string;
  /** The caller's span; null for a trace the gateway started. */
  parentSpanId: string | null;
  sampled: boolean;
  tracestate: string | null;
}

export type SpanKind = "internal" | "server" | "client";
export type AttributeValue = string | number | boolean;

export interface FinishedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue>;
  error: string | null;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A valid traceparent (version 00, or a later version read as 00); null otherwise. */
export function parseTraceparent(
  header: string | null | undefined,
  tracestate?: string | null,
): TraceContext | null {
  if (!header) return null;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match;
  if (!version || !traceId || !spanId || !flags) return null;
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return null;
  return {
    traceId,
    parentSpanId: spanId,
    sampled: (Number.parseInt(flags, 16) & 1) === 1,
    tracestate: tracestate?.trim() || null,
  };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/**
 * Random trace and span ids (not secrets: they travel to every upstream in
 * `traceparent`). Drawn from an isolate-wide buffer of CSPRNG bytes refilled
 * 4 KiB at a time: a request's trace id, ingress span id and upstream span id
 * were three `getRandomValues` calls (~1.7% of the /{path}/mcp isolate's time
 * in bench:profile). Ids that are secrets come from platform/encoding.ts.
 */
export function randomHex(bytes: number): string {
  if (poolAt + bytes > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  let hex = "";
  for (let index = poolAt; index < poolAt + bytes; index++) hex += HEX[POOL[index] as number];
  poolAt += bytes;
  return hex;
}

// Filled on first use (the runtime refuses random values outside a request).
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

/** One request's trace: the spans it opened (kept only when recording). */
export class RequestTrace {
  readonly finished: FinishedSpan[] = [];
  /** The first span without a parent in this process (the ingress span). */
  private root: Span | null = null;

  /**
   * Sampled and an exporter configured: spans are kept. A field (kept in step
   * by `adopt`), so the stages of an unrecorded request test it without
   * calling into this module.
   */
  recording: boolean;

  constructor(
    public context: TraceContext,
    /** Whether an exporter is configured (without one no span is ever kept). */
    readonly exporting: boolean,
    /** The caller named the trace (a traceparent header): `_meta` cannot replace it. */
    readonly fromCaller: boolean,
  ) {
    this.recording = exporting && context.sampled;
  }

  get traceId(): string {
    return this.context.traceId;
  }

  start(
    name: string,
    parent: Span | null,
    kind: SpanKind = "internal",
    attributes: Record<string, AttributeValue> = {},
  ) {
    const span = new Span(this, name, parent?.spanId ?? this.context.parentSpanId, kind, attributes);
    if (parent === null && this.root === null) this.root = span;
    return span;
  }

  /**
   * Joins the caller's trace found in a 2026-07-28 request's `_meta` (read
   * after the ingress span began): spans already finished move to it at
   * export (otlp-export.ts rewrites their trace id), and the root span's
   * parent becomes the caller's span.
   */
  adopt(context: TraceContext): void {
    if (this.fromCaller) return;
    this.context = context;
    this.recording = this.exporting && context.sampled;
    if (this.root) this.root.parentSpanId = context.parentSpanId;
  }
}

export class Span {
  /** Drawn on first use: most spans of an unrecorded trace never need an id. */
  private id: string | null = null;
  readonly startMs = Date.now();
  private ended = false;

  constructor(
    readonly trace: RequestTrace,
    /** Settable until the span ends (the ingress span is named only when its trace is recorded). */
    public name: string,
    public parentSpanId: string | null,
    readonly kind: SpanKind,
    readonly attributes: Record<string, AttributeValue>,
  ) {}

  get spanId(): string {
    this.id ??= randomHex(8);
    return this.id;
  }

  /** The traceparent naming this span (what an upstream receives). */
  get traceparent(): string {
    return formatTraceparent(this.trace.traceId, this.spanId, this.trace.context.sampled);
  }

  end(attributes: Record<string, AttributeValue> = {}, error: string | null = null): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.trace.recording) return;
    this.trace.finished.push({
      traceId: this.trace.traceId,
      spanId: this.spanId,
      parentSpanId: this.parentSpanId,
      name: this.name,
      kind: this.kind,
      startMs: this.startMs,
      endMs: Date.now(),
      attributes: { ...this.attributes, ...attributes },
      error,
    });
  }
}

/** Starts a trace for an incoming request: the caller's context, or a new one sampled at `ratio`. */
export function beginTrace(incoming: TraceContext | null, ratio: number, exporting: boolean): RequestTrace {
  const context: TraceContext = incoming ?? {
    traceId: randomHex(16),
    parentSpanId: null,
    sampled: ratio >= 1 || (ratio > 0 && Math.random() < ratio),
    tracestate: null,
  };
  return new RequestTrace(context, exporting, incoming !== null);
}

/**
 * Runs `work` in a child span of the current one (a no-op wrapper outside a
 * traced request). The span ends when `work` settles; a throw marks it failed.
 */
export async function withSpan<T>(
  name: string,
  attributes: Record<string, AttributeValue>,
  work: (span: Span | null) => Promise<T>,
): Promise<T> {
  const scope = currentScope();
  // An unrecorded trace keeps no span and internal spans name nothing
  // upstream: no span object, no child scope (the cheap path of every
  // request that is not sampled, and of every request without an exporter).
  if (!scope?.trace?.recording) return work(null);
  const span = scope.trace.start(name, scope.span, "internal", attributes);
  const child: RequestScope = { ...scope, span };
  try {
    const result = await runInScope(child, () => work(span));
    span.end();
    return result;
  } catch (error) {
    span.end({}, error instanceof Error ? error.name : "error");
    throw error;
  }
}

/** A client span for an upstream request under the current span; null outside a traced request. */
export function startUpstreamSpan(attributes: Record<string, AttributeValue>): Span | null {
  const scope = currentScope();
  if (!scope?.trace) return null;
  return scope.trace.start("upstream call", scope.span, "client", attributes);
}

/** A trace crossing a Durable Object call: the caller-side span as W3C trace context. */
export interface CarriedTrace {
  traceparent: string;
  tracestate: string | null;
}

/**
 * The current span as the context a Durable Object continues (its spans
 * become children of it); null outside a traced request.
 */
export function carryTrace(): CarriedTrace | null {
  const scope = currentScope();
  if (!scope?.trace || !scope.span) return null;
  return { traceparent: scope.span.traceparent, tracestate: scope.trace.context.tracestate };
}

/** The trace context of a 2026-07-28 request's `params._meta` (SEP-414 keys). */
export function traceFromMeta(params: unknown): TraceContext | null {
  if (typeof params !== "object" || params === null) return null;
  const meta = (params as { _meta?: unknown })._meta;
  if (typeof meta !== "object" || meta === null) return null;
  const { traceparent, tracestate } = meta as { traceparent?: unknown; tracestate?: unknown };
  if (typeof traceparent !== "string") return null;
  return parseTraceparent(traceparent, typeof tracestate === "string" ? tracestate : null);
}

/** A request's trace context from the first `_meta.traceparent` among its messages, when no header named one. */
export function adoptTraceFromMessages(messages: readonly { message: unknown }[]): void {
  const trace = currentScope()?.trace;
  if (!trace || trace.fromCaller) return;
  for (const { message } of messages) {
    const context = traceFromMeta((message as { params?: unknown }).params);
    if (context) {
      trace.adopt(context);
      return;
    }
  }
}

/**
 * The body sent upstream with every `_meta.traceparent` a caller put in it
 * replaced by `traceparent` (the gateway's span), so a 2026-07-28 upstream
 * that reads `_meta` sees the same parent as one that reads the header.
 */
export function rewriteMetaTraceparent(body: string, traceparent: string, tracestate: string | null): string {
  if (!body.includes('"traceparent"')) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body;
  }
  let changed = false;
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    const meta = (message as { params?: { _meta?: Record<string, unknown> } } | null)?.params?._meta;
    if (meta && typeof meta === "object" && typeof meta.traceparent === "string") {
      meta.traceparent = traceparent;
      if (tracestate) meta.tracestate = tracestate;
      changed = true;
    }
  }
  return changed ? JSON.stringify(parsed) : body;
}
