// The plain SSE answer reader of the direct upstream call and of the
// per-server proxy: one response after optional priming events is taken, and
// the stream's end is read before the caller replies; anything else is handed
// back replaying the exact bytes the upstream sent, including what follows.
import { describe, expect, it } from "vitest";
import { END_WAIT_MS, readSseAnswer, readWholeSseAnswer } from "../../worker/upstream/sse-answer.ts";

/** A streamed SSE response whose body arrives in `parts`. */
function sse(...parts: string[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

const RESPONSE = '{"jsonrpc":"2.0","id":1,"result":{}}';
const take = (data: string) => (data === RESPONSE ? { data } : null);

describe("readSseAnswer", () => {
  it("takes the one response after priming events, comments and retry, split across chunks", async () => {
    const reading = await readSseAnswer(
      sse("id: p\ndata:\n\n: keep-alive\n\nretry: 50", "0\n\nevent: message\nda", `ta: ${RESPONSE}\n\n`),
      take,
    );
    expect(reading).toEqual({ answer: { data: RESPONSE } });
  });

  for (const [label, parts] of [
    [
      "a notification first",
      ['data: {"jsonrpc":"2.0","method":"notifications/message"}\n\n', `data: ${RESPONSE}\n\n`],
    ],
    ["another event type", [`event: other\ndata: ${RESPONSE}\n\n`]],
    ["CRLF line ends", [`data: ${RESPONSE}\r\n\r\n`]],
    ["a stream that ends before the response", ["id: p\ndata:\n\n", `data: ${RESPONSE}`]],
  ] as const) {
    it(`hands back ${label}, replaying every byte`, async () => {
      const reading = await readSseAnswer(sse(...parts), take);
      expect("replay" in reading).toBe(true);
      if (!("replay" in reading)) return;
      expect(reading.replay.headers.get("content-type")).toBe("text/event-stream");
      expect(await reading.replay.text()).toBe(parts.join(""));
    });
  }

  it("hands back a body that fails, failing the same way after what was read", async () => {
    const failure = new Error("connection lost");
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("id: p\ndata:\n\n"));
        controller.error(failure);
      },
    });
    const reading = await readSseAnswer(new Response(body), take);
    if (!("replay" in reading)) throw new Error("expected a replay");
    await expect(reading.replay.text()).rejects.toThrow("connection lost");
  });

  it("reads a stream that ends after its answer to the end, and cancels one that goes on", async () => {
    const encoder = new TextEncoder();
    /** A stream that sends the answer, then `after` (a chunk, or its end); says whether it was cancelled. */
    const watched = (after: "end" | "more") => {
      const seen = { cancelled: false, pulls: 0 };
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          seen.pulls += 1;
          if (seen.pulls === 1) controller.enqueue(encoder.encode(`data: ${RESPONSE}\n\n`));
          else if (after === "end") controller.close();
          else controller.enqueue(encoder.encode(": more\n\n"));
        },
        cancel() {
          seen.cancelled = true;
        },
      });
      return { response: new Response(body), seen };
    };
    const ending = watched("end");
    expect(await readSseAnswer(ending.response, take)).toEqual({ answer: { data: RESPONSE } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Read to its end: the connection can be reused, nothing is cancelled.
    expect(ending.seen).toEqual({ cancelled: false, pulls: 2 });
    const going = watched("more");
    expect(await readSseAnswer(going.response, take)).toEqual({ answer: { data: RESPONSE } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(going.seen.cancelled).toBe(true);
  });

  it("cancels a stream whose end does not come within END_WAIT_MS, leaving no read pending", async () => {
    const seen = { cancelled: false, pulls: 0 };
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        seen.pulls += 1;
        if (seen.pulls === 1) controller.enqueue(new TextEncoder().encode(`data: ${RESPONSE}\n\n`));
        // After the answer nothing more comes (a server that keeps its stream open).
        return new Promise<void>(() => {});
      },
      cancel() {
        seen.cancelled = true;
      },
    });
    expect(await readSseAnswer(new Response(body), take)).toEqual({ answer: { data: RESPONSE } });
    // Cancelled before the answer is handed over: no drain is left behind.
    expect(seen.cancelled).toBe(true);
  });
});

/** A stream fed by hand, as an upstream's body is; says whether it was cancelled. */
function fed() {
  const encoder = new TextEncoder();
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const seen = { cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      feed = controller;
    },
    cancel() {
      seen.cancelled = true;
    },
  });
  const response = new Response(body, {
    status: 200,
    headers: { "content-type": "text/event-stream", "mcp-session-id": "s-1" },
  });
  return {
    response,
    seen,
    send: (text: string) => feed.enqueue(encoder.encode(text)),
    end: () => feed.close(),
    fail: (error: unknown) => feed.error(error),
  };
}

const isResponse = (data: string) => !data.includes('"method"');
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const PRIMING = "id: p\ndata:\n\n";
const EVENT = `event: message\ndata: ${RESPONSE}\n\n`;

/** The replay of a stream that sent its response event and has not ended yet. */
async function replayAfterEvent() {
  const upstream = fed();
  upstream.send(EVENT);
  const reading = await readWholeSseAnswer(upstream.response, isResponse);
  if (!("replay" in reading)) throw new Error("expected a replay");
  return { upstream, ...reading };
}

describe("readWholeSseAnswer", () => {
  it("hands a response event followed by the end over as one body: same bytes, status and headers", async () => {
    const upstream = fed();
    upstream.send(PRIMING);
    upstream.send(EVENT);
    upstream.end();
    const reading = await readWholeSseAnswer(upstream.response, isResponse);
    if (!("whole" in reading)) throw new Error("expected the whole answer");
    expect(reading.whole.status).toBe(200);
    expect(reading.whole.headers.get("content-type")).toBe("text/event-stream");
    expect(reading.whole.headers.get("mcp-session-id")).toBe("s-1");
    expect(await reading.whole.text()).toBe(PRIMING + EVENT);
    // Read to its end, not cancelled: the connection can be reused.
    expect(upstream.seen.cancelled).toBe(false);
  });

  it("waits for the end that comes soon after the response event", async () => {
    const upstream = fed();
    upstream.send(EVENT);
    setTimeout(() => upstream.end(), 0);
    const reading = await readWholeSseAnswer(upstream.response, isResponse);
    expect("whole" in reading).toBe(true);
  });

  it("streams at once what starts with a notification: the event is not held for the response", async () => {
    const upstream = fed();
    const progress = 'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n';
    upstream.send(progress);
    // The stream goes on: the reading comes back before anything else arrives.
    const reading = await readWholeSseAnswer(upstream.response, isResponse);
    if (!("replay" in reading)) throw new Error("expected a replay");
    const reader = (reading.replay.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe(progress);
    upstream.send(EVENT);
    upstream.end();
    expect(decoder.decode((await reader.read()).value)).toBe(EVENT);
    expect((await reader.read()).done).toBe(true);
    expect(await reading.ending).toBe("completed");
  });

  it("replays a stream that goes on after its response event, every byte in order", async () => {
    const upstream = fed();
    upstream.send(EVENT);
    upstream.send(": more\n\n");
    const reading = await readWholeSseAnswer(upstream.response, isResponse);
    if (!("replay" in reading)) throw new Error("expected a replay");
    upstream.send("data: tail\n\n");
    upstream.end();
    expect(await reading.replay.text()).toBe(`${EVENT}: more\n\ndata: tail\n\n`);
    expect(await reading.ending).toBe("completed");
  });

  it("replays a stream whose end is slower than END_WAIT_MS, losing none of what its pending read brings", async () => {
    const { upstream, ...reading } = await replayAfterEvent();
    await later(END_WAIT_MS);
    upstream.send("data: late\n\n");
    upstream.end();
    expect(await reading.replay.text()).toBe(`${EVENT}data: late\n\n`);
    expect(await reading.ending).toBe("completed");
  });

  it("tells a stream the upstream breaks after its response event as cut", async () => {
    const { upstream, ...reading } = await replayAfterEvent();
    upstream.fail(new Error("connection reset"));
    await expect(reading.replay.text()).rejects.toThrow("connection reset");
    expect(await reading.ending).toBe("cut");
  });

  it("passes a client's hang-up on to the upstream's stream, which does not count as cut", async () => {
    const upstream = fed();
    upstream.send(PRIMING);
    upstream.send(EVENT);
    const reading = await readWholeSseAnswer(upstream.response, isResponse);
    if (!("replay" in reading)) throw new Error("expected a replay");
    await reading.replay.body?.cancel("client left");
    expect(upstream.seen.cancelled).toBe(true);
    expect(await reading.ending).toBe("completed");
  });
});
