// A 2026-07-28 (stateless) client cancels a request by closing its HTTP
// request (Streamable HTTP, "Cancellation": closing the response stream is
// the cancellation; no notifications/cancelled is sent). The gateway must
// then cancel its upstream work: the code below every MCP endpoint follows
// the incoming request's signal (a session upstream gets
// notifications/cancelled, a 2026 upstream's request is aborted).
//
// Why this wrapper: while a Worker has produced no response, a hang-up is
// not reliably reported to it (`request.signal` never fires under `wrangler
// dev`, whose proxy keeps its side of the connection open; seen with workerd
// 2026-11-02). A streamed response is: the first write after the hang-up
// cancels the stream. So a 2026 POST still unanswered after `commitAfterMs`
// is answered as an SSE stream (which the transport allows for any request)
// carrying a comment every `keepAliveMs` until the real answer is written as
// its one event. A cancelled stream, or the runtime's own signal, aborts the
// request's client signal (`clientSignal`), which the ingress and the
// pass-through hand on upstream. The signal is kept beside the request (a
// WeakMap), not in a copy of it: copying the Request and combining signals
// with AbortSignal.any cost ~3% of a stateless call's CPU (bench:profile).
import type { Context } from "hono";
import { shareTimers, TimerSlot } from "../platform/deadline.ts";
import { mediaTypeOf } from "../protocol/media-type.ts";

export interface HangUpOptions {
  /** How long an answer may take before the reply becomes a stream. */
  commitAfterMs: number;
  /** Comment interval on a committed stream: how soon a hang-up is noticed. */
  keepAliveMs: number;
}

// Most answers come sooner and keep their JSON form (and tests on a loaded machine see the same);
// a hang-up before the commit is noticed at the first keep-alive after it.
const DEFAULTS: HangUpOptions = { commitAfterMs: 2_000, keepAliveMs: 1_000 };

const encoder = new TextEncoder();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

/**
 * A 2026-07-28 POST outside any session whose client reads SSE: the only
 * requests whose hang-up is a cancellation (a 2025-era client's disconnect
 * is not one; it cancels with notifications/cancelled).
 */
export function cancelsOnHangUp(request: Request): boolean {
  if (request.method !== "POST" || request.headers.has("mcp-session-id")) return false;
  const version = request.headers.get("mcp-protocol-version");
  // Dated versions compare as strings; every 2025-era client cancels with notifications/cancelled instead.
  if (version === null || version < "2026-") return false;
  return (request.headers.get("accept") ?? "").includes("text/event-stream");
}

const clientSignals = new WeakMap<Request, AbortSignal>();

/**
 * What aborts when the client of `request` is gone: for a request
 * `cancellableOnHangUp` watches, its hang-up or the runtime's own signal;
 * for any other, the runtime's signal.
 */
export function clientSignal(request: Request): AbortSignal {
  return clientSignals.get(request) ?? request.signal;
}

/**
 * Wraps an MCP endpoint's route handler (after authentication): turns a
 * stateless client's hang-up into an abort of the request's signal. A
 * wrapper, not a middleware: once a middleware has answered, Hono drops the
 * route's own answer (the context is finalized), and the stream needs it.
 */
export function cancellableOnHangUp<C extends Context>(
  handler: (c: C) => Response | Promise<Response>,
  options: Partial<HangUpOptions> = {},
): (c: C) => Promise<Response> {
  const { commitAfterMs, keepAliveMs } = { ...DEFAULTS, ...options };
  return async (c) => {
    const raw = c.req.raw;
    if (!cancelsOnHangUp(raw)) return handler(c);
    const hangUp = new AbortController();
    // The request's deadlines (the commit below, the upstream's) share one runtime timer (platform/deadline.ts);
    // the slot also tells the upstream's deadline of a hang-up, so that it needs no listener of its own.
    const timers = new TimerSlot();
    const goneWith = (reason: unknown) => {
      hangUp.abort(reason);
      timers.hangUp(reason);
    };
    raw.signal.addEventListener("abort", () => goneWith(raw.signal.reason), { once: true });
    clientSignals.set(raw, hangUp.signal);
    shareTimers(hangUp.signal, timers);
    // One promise settled by whichever comes first (no race, no finally: a stateless call pays this on every request).
    return new Promise<Response>((resolve, reject) => {
      const commit = timers.schedule(commitAfterMs, () => {
        // After a hang-up the runtime would drop the request's pending work; the
        // route's own ending (the upstream's notifications/cancelled) must still run.
        c.executionCtx.waitUntil(answered.catch(() => {}));
        resolve(committedStream(answered, hangUp.signal, goneWith, keepAliveMs));
      });
      let answered: Promise<Response>;
      try {
        answered = Promise.resolve(handler(c));
      } catch (error) {
        answered = Promise.reject(error);
      }
      answered.then(
        (response) => {
          commit();
          resolve(response);
        },
        (error: unknown) => {
          commit();
          reject(error);
        },
      );
    });
  };
}

/** The SSE reply: comments until `answered` settles, then its message as one event. */
function committedStream(
  answered: Promise<Response>,
  gone: AbortSignal,
  goneWith: (reason: unknown) => void,
  keepAliveMs: number,
): Response {
  let interval: ReturnType<typeof setInterval> | undefined;
  const stop = () => clearInterval(interval);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      interval = setInterval(() => {
        try {
          controller.enqueue(KEEP_ALIVE);
        } catch {
          stop();
        }
      }, keepAliveMs);
      answered
        .then((response) => relayAnswer(response, controller, stop, gone))
        .catch(() => {
          // The route failed after the 200 was sent: the client still gets a JSON-RPC error.
          stop();
          try {
            controller.enqueue(
              encoder.encode(`event: message\ndata: ${internalError("The request failed")}\n\n`),
            );
            controller.close();
          } catch {
            // The client is gone already.
          }
        });
    },
    cancel(reason) {
      stop();
      goneWith(reason ?? new Error("the client closed the request"));
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}

/**
 * Writes the route's answer into the committed stream: an SSE answer as it
 * streams, a JSON answer as one `message` event. An answer that is neither
 * (an HTTP error without a JSON-RPC body) cannot change the status sent
 * already; it becomes a JSON-RPC internal error.
 */
async function relayAnswer(
  response: Response,
  controller: ReadableStreamDefaultController<Uint8Array>,
  stop: () => void,
  gone: AbortSignal,
): Promise<void> {
  if (gone.aborted) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  if (mediaTypeOf(response.headers.get("content-type")) === "text/event-stream" && response.body) {
    stop();
    const reader = response.body.getReader();
    gone.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      controller.enqueue(value);
    }
    controller.close();
    return;
  }
  const text = await response.text();
  stop();
  const message = isJsonRpcMessage(text)
    ? text
    : internalError(`The gateway answered HTTP ${response.status}`);
  if (text.trim() !== "" || !response.ok) {
    controller.enqueue(encoder.encode(`event: message\ndata: ${message.replaceAll("\n", "")}\n\n`));
  }
  controller.close();
}

function internalError(message: string): string {
  return JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message } });
}

function isJsonRpcMessage(text: string): boolean {
  try {
    const parsed = JSON.parse(text) as unknown;
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    return messages.every(
      (message) => typeof message === "object" && message !== null && "jsonrpc" in message,
    );
  } catch {
    return false;
  }
}
