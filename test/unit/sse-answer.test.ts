// The plain SSE answer reader of the direct upstream call: one response after
// optional priming events is taken; anything else is handed back replaying the
// exact bytes the upstream sent, including what follows.
import { describe, expect, it, vi } from "vitest";
import { MAX_DRAINING, readSseAnswer } from "../../worker/upstream/sse-answer.ts";

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

  it("drains at most MAX_DRAINING at once, and forgets a drain whose read never settles", async () => {
    const encoder = new TextEncoder();
    /** A stream that sends the answer, then never another chunk (its request has ended); says whether it was cancelled. */
    const stuck = () => {
      const seen = { cancelled: false };
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulls += 1;
          if (pulls === 1) controller.enqueue(encoder.encode(`data: ${RESPONSE}\n\n`));
          return new Promise<void>(() => {});
        },
        cancel() {
          seen.cancelled = true;
        },
      });
      return { response: new Response(body), seen };
    };
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now);
    try {
      const pending = Array.from({ length: MAX_DRAINING }, stuck);
      for (const stream of pending) await readSseAnswer(stream.response, take);
      const over = stuck();
      await readSseAnswer(over.response, take);
      await new Promise((resolve) => setTimeout(resolve, 0));
      // MAX_DRAINING reads are pending: the next stream is cancelled.
      expect(pending.map((stream) => stream.seen.cancelled)).toEqual(pending.map(() => false));
      expect(over.seen.cancelled).toBe(true);
      // Their reads never settle (as when their requests ended); after 5 s they are forgotten.
      clock.mockReturnValue(now + 5_001);
      const later = stuck();
      await readSseAnswer(later.response, take);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(later.seen.cancelled).toBe(false);
    } finally {
      clock.mockRestore();
    }
  });
});
