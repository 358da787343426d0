// Reads a plain SSE answer to one POST: optional priming or empty events
// (an `id:`/`retry:` with no data, comments), then one event whose data the
// caller takes (its JSON-RPC response). 2025 SDK 1.x servers answer every
// POST this way by default, and end the stream right after that event.
// Anything else (a notification, a server-to-client request, another event
// type, data the caller does not take, CR line ends, a stream that ends or
// fails first) is handed back as a Response that replays the bytes already
// read and then the rest of the stream, untouched, so whoever reads it next
// (the SDK, or the client of a pass-through) sees exactly what the upstream
// sent, with no event held back longer than its own read.
// After the response event the stream's end is read BEFORE the caller
// replies: a read left pending once the request's response is sent is
// never settled by the runtime, and a stream cancelled instead tears its
// upstream connection down (a new connection, and a new handshake in the
// upstream, for the next call). The end is awaited for END_WAIT_MS at most
// (an SDK server sends it with or right after the response); a stream that
// goes on, or is slower, is cancelled (`readSseAnswer`) or replayed
// (`readWholeSseAnswer`).

export type SseReading<T> = { answer: T } | { replay: Response };

/** How a replayed stream ended, for the replica's circuit. */
export type StreamEnd = "completed" | "cut";

/** A pass-through's reading: the whole answer as one body, or the replay of a stream that goes on. */
export type WholeSseReading = { whole: Response } | Replay;

/** The stream handed on as the upstream sent it, and how it ended (once it has). */
type Replay = { replay: Response; ending: Promise<StreamEnd> };

/**
 * How long the end of a stream is awaited after its response event. Short:
 * a server that keeps its stream open after the response (allowed, if not
 * advised) delays the caller's reply by this much.
 */
export const END_WAIT_MS = 5;

/** `take` turns an event's data into the answer, or null when the answer is not plain. */
export async function readSseAnswer<T>(
  response: Response,
  take: (data: string) => T | null,
): Promise<SseReading<T>> {
  const reading = await readToAnswer(response, take);
  if ("replay" in reading) return { replay: reading.replay };
  // Whatever follows the answer is not for this caller: only the end lets the connection be reused.
  if (reading.after !== "" || (await readEnd(reading)) !== "ended") reading.reader.cancel().catch(() => {});
  return { answer: reading.answer };
}

/**
 * An SSE answer passed on untouched (the per-server proxy): when it is one
 * response event (`isResponse`, after optional priming events) followed by
 * the stream's end within END_WAIT_MS, its bytes as one body with the
 * upstream's status and headers; anything else is the replay, which streams
 * from the bytes already read on, and `ending` tells how its stream ended:
 * "cut" when the upstream broke it, "completed" when it ended or the client
 * left (which cancels the upstream's stream, releasing it).
 */
export async function readWholeSseAnswer(
  response: Response,
  isResponse: (data: string) => boolean,
): Promise<WholeSseReading> {
  const reading = await readToAnswer(response, (data) => (isResponse(data) ? true : null));
  if ("replay" in reading) return reading;
  const { chunks, reader } = reading;
  if (reading.after === "") {
    const end = await readEnd(reading);
    if (end === "ended") return { whole: new Response(joined(chunks), response) };
    if (end === "failed") return replay(response, chunks, { failed: reading.failure });
  }
  return replay(response, chunks, { rest: reader, next: reading.next });
}

interface AnswerRead<T> {
  answer: T;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Every chunk read so far, as read. */
  chunks: Uint8Array[];
  /** The text read after the answer's event (what follows it in the same chunk). */
  after: string;
  /** A read begun for the end and not settled within END_WAIT_MS (the replay takes it first). */
  next?: Promise<ReadableStreamReadResult<Uint8Array>>;
  failure?: unknown;
}

/** Reads up to the event the caller takes; anything unusual on the way is the replay. */
async function readToAnswer<T>(
  response: Response,
  take: (data: string) => T | null,
): Promise<AnswerRead<T> | Replay> {
  if (response.body === null) return { replay: response, ending: Promise.resolve("completed") };
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
      return replay(response, chunks, { failed: error });
    }
    if (step.done) return replay(response, chunks, { ended: true });
    chunks.push(step.value);
    text += decoder.decode(step.value, { stream: true });
    // A CR (alone or in CRLF) ends lines too; the SDK's parser handles it, this reader does not.
    if (text.includes("\r")) return replay(response, chunks, { rest: reader });
    for (let end = text.indexOf("\n\n", scanned); end !== -1; end = text.indexOf("\n\n", scanned)) {
      const data = dataOf(text.slice(scanned, end));
      scanned = end + 2;
      if (data === "") continue;
      const answer = data === null ? null : take(data);
      if (answer === null) return replay(response, chunks, { rest: reader });
      return { answer, reader, chunks, after: text.slice(scanned) };
    }
  }
}

/**
 * Reads what follows the answer for END_WAIT_MS at most: "ended" (the
 * connection is free), "more" (a chunk, added to `chunks`), "failed"
 * (`failure` set), or "pending" (`next` is the read still under way).
 */
function readEnd(reading: AnswerRead<unknown>): Promise<EndRead> {
  // One promise and one timer, no race: this runs on every SSE answer.
  return new Promise<EndRead>((resolve) => {
    const next = reading.reader.read();
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reading.next = next;
      resolve("pending");
    }, END_WAIT_MS);
    next.then(
      (step) => {
        // Too late: the replay reads this step from `next` itself.
        if (late) return;
        clearTimeout(timer);
        if (step.done) return resolve("ended");
        reading.chunks.push(step.value);
        resolve("more");
      },
      (error: unknown) => {
        if (late) return;
        clearTimeout(timer);
        reading.failure = error;
        resolve("failed");
      },
    );
  });
}

type EndRead = "ended" | "more" | "failed" | "pending";

/** The chunks as one buffer (usually one chunk: no copy). */
function joined(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  let length = 0;
  for (const chunk of chunks) length += chunk.byteLength;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
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
  const joined = data.join("\n");
  return joined.trim() === "" ? "" : joined;
}

/** `next`: a read already under way, whose result comes before any other. */
type Tail =
  | {
      rest: ReadableStreamDefaultReader<Uint8Array>;
      next?: Promise<ReadableStreamReadResult<Uint8Array>> | undefined;
    }
  | { ended: true }
  | { failed: unknown };

/**
 * The answer as the upstream sends it: what was read, then the rest (or its
 * end or failure), and how it ended: a JavaScript stream pulled by the
 * runtime knows that without a watching pipe.
 */
function replay(response: Response, chunks: Uint8Array[], tail: Tail): Replay {
  let settle!: (end: StreamEnd) => void;
  const ending = new Promise<StreamEnd>((resolve) => {
    settle = resolve;
  });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      if ("ended" in tail) {
        controller.close();
        settle("completed");
      } else if ("failed" in tail) {
        controller.error(tail.failed);
        settle("cut");
      }
    },
    async pull(controller) {
      if (!("rest" in tail)) return;
      try {
        const pending = tail.next;
        tail.next = undefined;
        const step = await (pending ?? tail.rest.read());
        if (step.done) {
          controller.close();
          settle("completed");
        } else controller.enqueue(step.value);
      } catch (error) {
        controller.error(error);
        settle("cut");
      }
    },
    cancel(reason) {
      // The client left: not the upstream's fault; its stream is released.
      settle("completed");
      if ("rest" in tail) return tail.rest.cancel(reason);
    },
  });
  // The body is decoded already: its length and encoding headers no longer describe it.
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  return {
    replay: new Response(body, { status: response.status, statusText: response.statusText, headers }),
    ending,
  };
}
