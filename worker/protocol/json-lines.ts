// A long-lived answer some 2026-07-28 servers send as `application/json`: one
// JSON-RPC message per line, written as things happen, never ended (the
// conformance suite's reference server answers `subscriptions/listen` so).
// The spec says that answer is an SSE stream, and only SSE streams through
// what sits between the gateway and its client: an application/json body is
// compressed on the way (Cloudflare's front line, and wrangler dev copying
// it), and a compressor holds small writes back, so no frame would arrive.
// Re-framed as SSE here, each message is passed on the moment its line ends.
import { MAX_EVENT_BYTES, SseTooLargeError } from "./sse.ts";

/**
 * `body` (JSON documents one after another, separated by line breaks) as an
 * SSE stream of `message` events, one per document, as each document
 * completes. A document spread over several lines (pretty-printed) is kept
 * whole: a line break ends a document only where the text so far parses.
 */
export function jsonLinesAsSse(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = "";
  const event = (document: string) => encoder.encode(`event: message\ndata: ${document}\n\n`);
  const drain = (controller: TransformStreamDefaultController<Uint8Array>, text: string) => {
    let from = 0;
    for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) {
      const document = (pending + text.slice(from, at)).trim();
      if (document === "") {
        pending = "";
        from = at + 1;
      } else if (parses(document)) {
        controller.enqueue(event(document));
        pending = "";
        from = at + 1;
      }
    }
    // A document spread over lines goes on as one SSE data line: its inner line breaks are whitespace.
    pending = `${pending}${text.slice(from)}`.replace(/[\r\n]+/g, " ");
    if (pending.length > MAX_EVENT_BYTES)
      throw new SseTooLargeError("a JSON message exceeded the size limit");
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        drain(controller, decoder.decode(chunk, { stream: true }));
      },
      flush(controller) {
        drain(controller, `${decoder.decode()}\n`);
        if (pending.trim() !== "") controller.enqueue(event(pending.trim()));
      },
    }),
  );
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
