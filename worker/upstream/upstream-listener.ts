// Listens on an upstream session's standalone stream (Streamable HTTP GET
// with the session id): what a session-based upstream says outside any
// request (list changes, resource updates, log messages) arrives here and is
// handed on, message by message, until the signal aborts or the upstream
// closes the stream. No reconnection: the listener lives as long as the
// gateway's own client keeps its stream open, and is opened again with it.
import { mediaTypeOf } from "../protocol/media-type.ts";
import { SseParser } from "../protocol/sse.ts";
import type { UpstreamSession, UpstreamTarget } from "./upstream-client.ts";

const CONFLICT_RETRIES = 5;
const CONFLICT_DELAY_MS = 100;

export interface UpstreamListening {
  /** False when the upstream offers no standalone stream (405) or refused the session. */
  opened: boolean;
  /** Settles when the stream ends. */
  done: Promise<void>;
}

export async function listenUpstream(
  target: UpstreamTarget,
  session: UpstreamSession,
  onMessage: (message: Record<string, unknown>) => void,
  signal: AbortSignal,
  fetchFn: typeof fetch = fetch,
): Promise<UpstreamListening> {
  const headers = {
    ...target.headers,
    accept: "text/event-stream",
    "mcp-session-id": session.sessionId,
    "mcp-protocol-version": session.protocolVersion,
  };
  let response: Response;
  try {
    response = await fetchFn(target.url, { method: "GET", headers, signal });
    // 409: the upstream still holds the stream the SDK client opened after `initialize`
    // (closed on our side, not yet noticed on its side). It lets go shortly.
    for (let attempt = 1; response.status === 409 && attempt <= CONFLICT_RETRIES; attempt++) {
      await response.body?.cancel().catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, CONFLICT_DELAY_MS * attempt));
      response = await fetchFn(target.url, { method: "GET", headers, signal });
    }
  } catch {
    return { opened: false, done: Promise.resolve() };
  }
  const type = mediaTypeOf(response.headers.get("content-type"));
  if (!response.ok || !response.body || type !== "text/event-stream") {
    await response.body?.cancel().catch(() => {});
    return { opened: false, done: Promise.resolve() };
  }
  return { opened: true, done: readEvents(response.body, onMessage, signal) };
}

async function readEvents(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: Record<string, unknown>) => void,
  signal: AbortSignal,
): Promise<void> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const stop = () => reader.cancel().catch(() => {});
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (!signal.aborted) {
      const chunk = await reader.read();
      if (chunk.done) break;
      for (const event of parser.push(chunk.value)) {
        if (event.data === "") continue;
        try {
          const message = JSON.parse(event.data) as unknown;
          if (typeof message === "object" && message !== null && !Array.isArray(message)) {
            onMessage(message as Record<string, unknown>);
          }
        } catch {
          // Not JSON-RPC: nothing to relay.
        }
      }
    }
  } catch {
    // The upstream went away or the listener was stopped.
  } finally {
    signal.removeEventListener("abort", stop);
  }
}
