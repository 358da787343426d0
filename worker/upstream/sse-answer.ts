// Reads a plain SSE answer to one POST: optional priming or empty events
// (an `id:`/`retry:` with no data, comments), then one event whose data the
// caller takes (its JSON-RPC response). 2025 SDK 1.x servers answer every
// POST this way by default. Anything else (a notification, a server-to-client
// request, another event type, data the caller does not take, CR line ends,
// a stream that ends or fails first) is handed back as a Response that
// replays the bytes already read and then the rest of the stream, untouched,
// so whoever reads it next (the SDK) sees exactly what the upstream sent.
// Once the response event arrives the request is settled, as the SDK client
// settles it on that event; the rest of the stream is read to its end in the
// background (an SDK server ends it right after the response), so the
// upstream connection goes back to the runtime's pool instead of being torn
// down by a cancel (~3% of a session call's CPU in bench:profile). A stream
// that goes on after the response is cancelled, and so is every stream while
// MAX_DRAINING others are still being read to their end (an upstream that
// keeps its streams open never holds more than that many connections).

export type SseReading<T> = { answer: T } | { replay: Response };

/** `take` turns an event's data into the answer, or null when the answer is not plain. */
export async function readSseAnswer<T>(
  response: Response,
  take: (data: string) => T | null,
): Promise<SseReading<T>> {
  if (response.body === null) return { replay: response };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const chunks: Uint8Array[] = [];
  let text = "";
  let scanned = 0;
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>;
    try {
      step = await reader.read();
    } catch (error) {
      return { replay: replay(response, chunks, { failed: error }) };
    }
    if (step.done) return { replay: replay(response, chunks, { ended: true }) };
    chunks.push(step.value);
    text += decoder.decode(step.value, { stream: true });
    // A CR (alone or in CRLF) ends lines too; the SDK's parser handles it, this reader does not.
    if (text.includes("\r")) return { replay: replay(response, chunks, { rest: reader }) };
    for (let end = text.indexOf("\n\n", scanned); end !== -1; end = text.indexOf("\n\n", scanned)) {
      const data = dataOf(text.slice(scanned, end));
      scanned = end + 2;
      if (data === "") continue;
      const answer = data === null ? null : take(data);
      if (answer === null) return { replay: replay(response, chunks, { rest: reader }) };
      finishQuietly(reader);
      return { answer };
    }
  }
}

/** Streams read to their end after their answer at most at once (per isolate or object). */
export const MAX_DRAINING = 8;
/**
 * A drain still pending after this long is forgotten: when the request that
 * started it has ended, the runtime may never settle its read, and a plain
 * counter would then stay at MAX_DRAINING for the isolate's life.
 */
const DRAIN_FORGOTTEN_AFTER_MS = 5_000;
/** The pending drains, by when they started. */
const draining = new Set<{ startedAt: number }>();

/** Reads the stream's end after its answer; anything more than the end (or a failure) cancels the rest. */
function finishQuietly(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  if (draining.size >= MAX_DRAINING) {
    const forgotten = Date.now() - DRAIN_FORGOTTEN_AFTER_MS;
    for (const drain of draining) if (drain.startedAt < forgotten) draining.delete(drain);
  }
  if (draining.size >= MAX_DRAINING) {
    reader.cancel().catch(() => {});
    return;
  }
  const drain = { startedAt: Date.now() };
  draining.add(drain);
  reader.read().then(
    (step) => {
      draining.delete(drain);
      if (!step.done) reader.cancel().catch(() => {});
    },
    () => {
      draining.delete(drain);
    },
  );
}

/**
 * The data of one event ("" for one without data: priming, keep-alive,
 * comments), or null when it is not a plain `message` event.
 */
function dataOf(block: string): string | null {
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event" && value !== "message") return null;
    else if (field !== "id" && field !== "retry" && field !== "event") return null;
  }
  return data.join("\n").trim() === "" ? "" : data.join("\n");
}

type Tail = { rest: ReadableStreamDefaultReader<Uint8Array> } | { ended: true } | { failed: unknown };

/** The answer as the upstream sends it: what was read, then the rest (or its end or failure). */
function replay(response: Response, chunks: Uint8Array[], tail: Tail): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if ("ended" in tail) controller.close();
      else if ("failed" in tail) controller.error(tail.failed);
    },
    async pull(controller) {
      if (!("rest" in tail)) return;
      try {
        const step = await tail.rest.read();
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      } catch (error) {
        controller.error(error);
      }
    },
    cancel(reason) {
      if ("rest" in tail) return tail.rest.cancel(reason);
    },
  });
  // The body is decoded already: its length and encoding headers no longer describe it.
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}
