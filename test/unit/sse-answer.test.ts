// The plain SSE answer reader of the direct upstream call: one response after
// optional priming events is taken; anything else is handed back replaying the
// exact bytes the upstream sent, including what follows.
import { describe, expect, it, vi } from "vitest";
import {
  DRAIN_FORGOTTEN_AFTER_MS,
  MAX_DRAINING,
  readSseAnswer,
  sseDrains,
} from "../../worker/upstream/sse-answer.ts";

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

  it("reads a stream that ends after its answer to the end in the request's waitUntil, and cancels one that goes on", async () => {
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
    const kept: Promise<void>[] = [];
    const keepAlive = (drain: Promise<void>) => kept.push(drain);
    const counted = { ...sseDrains };
    const ending = watched("end");
    expect(await readSseAnswer(ending.response, take, keepAlive)).toEqual({ answer: { data: RESPONSE } });
    // The drain is the request's to wait for (workerd ends a request's reads with its response).
    expect(kept).toHaveLength(1);
    await kept[0];
    // Read to its end: the connection can be reused, nothing is cancelled.
    expect(ending.seen).toEqual({ cancelled: false, pulls: 2 });
    expect(sseDrains.drained - counted.drained).toBe(1);
    const going = watched("more");
    expect(await readSseAnswer(going.response, take, keepAlive)).toEqual({ answer: { data: RESPONSE } });
    await kept[1];
    expect(going.seen.cancelled).toBe(true);
    expect(sseDrains.cancelled - counted.cancelled).toBe(1);
    // Without a way to outlive the request, the rest is cancelled at once (no read left dangling).
    const alone = watched("end");
    expect(await readSseAnswer(alone.response, take)).toEqual({ answer: { data: RESPONSE } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(alone.seen).toEqual({ cancelled: true, pulls: 1 });
  });

  it("drains 16 streams in flight at once without cancelling any (the bench's concurrency)", async () => {
    const encoder = new TextEncoder();
    const ends: (() => void)[] = [];
    const streams = Array.from({ length: 16 }, () => {
      const seen = { cancelled: false };
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulls += 1;
          if (pulls === 1) controller.enqueue(encoder.encode(`data: ${RESPONSE}\n\n`));
          // The end comes later, once every answer was taken (all 16 drains pending together).
          else {
            return new Promise<void>((resolve) =>
              ends.push(() => {
                controller.close();
                resolve();
              }),
            );
          }
        },
        cancel() {
          seen.cancelled = true;
        },
      });
      return { response: new Response(body), seen };
    });
    const kept: Promise<void>[] = [];
    for (const stream of streams) await readSseAnswer(stream.response, take, (drain) => kept.push(drain));
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const end of ends) end();
    await Promise.all(kept);
    expect(streams.filter((stream) => stream.seen.cancelled)).toHaveLength(0);
  });

  it("drains at most MAX_DRAINING at once, and forgets a drain whose read never settles", async () => {
    const encoder = new TextEncoder();
    /** A stream that sends the answer, then never another chunk (its request has ended); says whether it was cancelled. */
    const unstick: (() => void)[] = [];
    const stuck = () => {
      const seen = { cancelled: false };
      let pulls = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          pulls += 1;
          if (pulls === 1) {
            controller.enqueue(encoder.encode(`data: ${RESPONSE}\n\n`));
            unstick.push(() => controller.close());
          }
          return new Promise<void>(() => {});
        },
        cancel() {
          seen.cancelled = true;
        },
      });
      return { response: new Response(body), seen };
    };
    const kept: Promise<void>[] = [];
    const keepAlive = (drain: Promise<void>) => kept.push(drain);
    const now = Date.now();
    const clock = vi.spyOn(Date, "now").mockReturnValue(now);
    try {
      const pending = Array.from({ length: MAX_DRAINING }, stuck);
      for (const stream of pending) await readSseAnswer(stream.response, take, keepAlive);
      const over = stuck();
      await readSseAnswer(over.response, take, keepAlive);
      await new Promise((resolve) => setTimeout(resolve, 0));
      // MAX_DRAINING reads are pending: the next stream is cancelled.
      expect(pending.map((stream) => stream.seen.cancelled)).toEqual(pending.map(() => false));
      expect(over.seen.cancelled).toBe(true);
      // Still counted just before the runtime's waitUntil limit has surely ended them.
      clock.mockReturnValue(now + DRAIN_FORGOTTEN_AFTER_MS);
      const before = stuck();
      await readSseAnswer(before.response, take, keepAlive);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(before.seen.cancelled).toBe(true);
      // Their reads never settle (their requests' I/O was ended); past the limit they are forgotten.
      clock.mockReturnValue(now + DRAIN_FORGOTTEN_AFTER_MS + 1);
      const later = stuck();
      await readSseAnswer(later.response, take, keepAlive);
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(later.seen.cancelled).toBe(false);
    } finally {
      clock.mockRestore();
      // The module's drain count is shared with the other tests of the isolate: end every read.
      for (const end of unstick) {
        try {
          end();
        } catch {
          // A cancelled stream cannot be closed: nothing to end.
        }
      }
      await Promise.all(kept);
    }
  });
});
