// Server-Sent Events, streaming: parse a byte stream into events as they
// arrive and write events back out, so the proxy can inspect or rewrite MCP
// messages without buffering a stream. Comments (keep-alives) and unknown
// fields are preserved so what passes through is what the upstream sent.

export interface SseEvent {
  /** `event:` field; undefined means the default `message`. */
  event?: string;
  data: string;
  id?: string;
  retry?: string;
  /** Comment lines (without the leading colon), e.g. keep-alives. */
  comments: string[];
}

/** Largest event the parser will hold before giving up (a stream gone wrong). */
export const MAX_EVENT_BYTES = 16 * 1024 * 1024;

export class SseTooLargeError extends Error {
  override readonly name = "SseTooLargeError";
}

/** Incremental parser: feed text chunks, receive complete events. */
export class SseParser {
  private buffer = "";
  private current: SseEvent = { data: "", comments: [] };
  private dataLines: string[] = [];
  private touched = false;

  /** Returns the events completed by this chunk. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    if (this.buffer.length > MAX_EVENT_BYTES)
      throw new SseTooLargeError("an SSE event exceeded the size limit");
    const events: SseEvent[] = [];
    while (true) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  /** Flushes a final event that was not followed by a blank line. */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.buffer !== "") {
      const event = this.line(this.buffer);
      this.buffer = "";
      if (event) events.push(event);
    }
    const last = this.dispatch();
    if (last) events.push(last);
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    this.touched = true;
    if (line.startsWith(":")) {
      this.current.comments.push(line.slice(1));
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "data":
        this.dataLines.push(value);
        break;
      case "event":
        this.current.event = value;
        break;
      case "id":
        if (!value.includes("\0")) this.current.id = value;
        break;
      case "retry":
        this.current.retry = value;
        break;
      default:
        // Unknown fields are ignored by the SSE specification.
        break;
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    if (!this.touched) return null;
    const event = { ...this.current, data: this.dataLines.join("\n") };
    this.current = { data: "", comments: [] };
    this.dataLines = [];
    this.touched = false;
    return event;
  }
}

/** Serialises one event (a blank line ends it). */
export function formatSseEvent(event: SseEvent): string {
  let text = "";
  for (const comment of event.comments) text += `:${comment}\n`;
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  if (event.retry !== undefined) text += `retry: ${event.retry}\n`;
  if (event.data !== "" || event.event !== undefined || event.id !== undefined) {
    for (const line of event.data.split("\n")) text += `data: ${line}\n`;
  }
  return `${text}\n`;
}

/**
 * Re-streams an SSE body through `rewrite`, event by event, as events arrive.
 * `rewrite` returns the events to emit in place of the one it was given
 * (none, the same one, a changed one, or several), possibly asynchronously;
 * order is kept.
 */
export function transformSseStream(
  body: ReadableStream<Uint8Array>,
  rewrite: (event: SseEvent) => SseEvent[] | Promise<SseEvent[]>,
  prefix: SseEvent[] = [],
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const parser = new SseParser();
  const emit = async (controller: TransformStreamDefaultController<Uint8Array>, events: SseEvent[]) => {
    for (const event of events) {
      for (const out of await rewrite(event)) controller.enqueue(encoder.encode(formatSseEvent(out)));
    }
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    start(controller) {
      for (const event of prefix) controller.enqueue(encoder.encode(formatSseEvent(event)));
    },
    async transform(chunk, controller) {
      await emit(controller, parser.push(decoder.decode(chunk, { stream: true })));
    },
    async flush(controller) {
      await emit(controller, parser.push(decoder.decode()));
      await emit(controller, parser.end());
    },
  });
  return body.pipeThrough(stream);
}
