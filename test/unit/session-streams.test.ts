// The session's resumable streams (aggregated/session-streams.ts) on their
// own: what a resume replays, and the memory bounds (streams and bytes kept
// per session, nothing kept for a stream its client is connected to).
import { describe, expect, it } from "vitest";
import {
  MAX_DETACHED_STREAMS,
  MAX_KEPT_BYTES,
  SESSION_STREAM_RETRY_MS,
  type SessionStream,
  SessionStreams,
} from "../../worker/aggregated/session-streams.ts";
import { sessionResponse } from "../../worker/platform/durable-objects.ts";
import { type SseEvent, SseParser } from "../../worker/protocol/sse.ts";

const decoder = new TextDecoder();

/** A stream written by the gateway (as the direct path does) and its reader. */
function opened(streams: SessionStreams, id: number) {
  const stream = streams.open([id]);
  const reader = stream.readable(true).getReader();
  return { stream, reader };
}

async function nextEvents(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<SseEvent[]> {
  const { value } = await reader.read();
  return new SseParser().push(decoder.decode(value));
}

async function allEvents(response: Response): Promise<SseEvent[]> {
  const parser = new SseParser();
  const text = await response.text();
  return [...parser.push(text), ...parser.end()];
}

function log(data: string) {
  return { jsonrpc: "2.0" as const, method: "notifications/message", params: { level: "info", data } };
}

function answer(id: number, text: string) {
  return { jsonrpc: "2.0" as const, id, result: { content: [{ type: "text", text }] } };
}

/** Sheds `stream`'s request `id` and returns the id of the last event its client saw. */
async function primedAndShed(
  streams: SessionStreams,
  id: number,
): Promise<{ stream: SessionStream; last: string }> {
  const { stream, reader } = opened(streams, id);
  const [priming] = await nextEvents(reader);
  expect(streams.shed(id)).toBe(true);
  expect((await reader.read()).done).toBe(true);
  return { stream, last: priming?.id as string };
}

describe("session streams", () => {
  it("primes a stream with an id, empty data and the retry", async () => {
    const streams = new SessionStreams();
    const { reader } = opened(streams, 1);
    const [priming] = await nextEvents(reader);
    expect(priming).toMatchObject({ data: "", retry: String(SESSION_STREAM_RETRY_MS) });
    expect(priming?.id).toMatch(/^[0-9a-f]{12}\.1\.\d+$/);
  });

  it("replays what was sent after the Last-Event-ID, then the rest live, and ends with the answer", async () => {
    const streams = new SessionStreams();
    const { stream, reader } = opened(streams, 1);
    await nextEvents(reader);
    stream.send(log("live"));
    const [live] = await nextEvents(reader);
    expect(streams.shed(1)).toBe(true);
    stream.send(log("while away"));
    let reconnected = 0;
    expect(streams.shed(1, () => (reconnected += 1))).toBe(true);
    const resumed = streams.resume(live?.id as string) as Response;
    expect(reconnected).toBe(1);
    stream.send(answer(1, "done"));
    const events = await allEvents(resumed);
    expect(events.map((event) => JSON.parse(event.data))).toEqual([log("while away"), answer(1, "done")]);
    // Delivered: nothing is kept for it any more.
    expect(streams.resume(live?.id as string)).toBeNull();
  });

  it("keeps an answer that arrives while the client is away until it resumes", async () => {
    const streams = new SessionStreams();
    const { stream, last } = await primedAndShed(streams, 3);
    stream.send(answer(3, "kept"));
    stream.end();
    const events = await allEvents(streams.resume(last) as Response);
    expect(events.map((event) => JSON.parse(event.data))).toEqual([answer(3, "kept")]);
  });

  it("cannot shed a stream that was not primed, nor one already answered", async () => {
    const streams = new SessionStreams();
    const unprimed = streams.open([1]);
    unprimed.readable(false);
    expect(streams.shed(1)).toBe(false);
    const { stream, reader } = opened(streams, 2);
    await nextEvents(reader);
    stream.send(answer(2, "done"));
    expect(streams.shed(2)).toBe(false);
  });

  it("never resumes an id of another session instance, or one it cannot read", async () => {
    const mine = new SessionStreams();
    const other = new SessionStreams();
    const { last } = await primedAndShed(other, 1);
    expect(mine.resume(last)).toBeNull();
    expect(mine.resume("not-an-event-id")).toBeNull();
    expect(other.resume(last)).not.toBeNull();
  });

  it(`keeps at most ${MAX_DETACHED_STREAMS} streams without a client, forgetting the oldest`, async () => {
    const streams = new SessionStreams();
    const shed: { stream: SessionStream; last: string }[] = [];
    for (let id = 1; id <= MAX_DETACHED_STREAMS + 1; id++) shed.push(await primedAndShed(streams, id));
    expect(streams.resume(shed[0]?.last as string)).toBeNull();
    expect(streams.resume(shed[1]?.last as string)).not.toBeNull();
    expect(streams.resume(shed.at(-1)?.last as string)).not.toBeNull();
  });

  it(`keeps at most ${MAX_KEPT_BYTES} bytes of events, forgetting the oldest stream first`, async () => {
    const streams = new SessionStreams();
    const first = await primedAndShed(streams, 1);
    const second = await primedAndShed(streams, 2);
    const half = "x".repeat(MAX_KEPT_BYTES / 2);
    first.stream.send(log(half));
    second.stream.send(log(half));
    expect(streams.resume(first.last)).toBeNull();
    const events = await (async () => {
      const response = streams.resume(second.last) as Response;
      second.stream.send(answer(2, "done"));
      return allEvents(response);
    })();
    expect(events.map((event) => JSON.parse(event.data).params?.data ?? "answer")).toEqual([half, "answer"]);
  });

  it("keeps nothing of a stream its client is connected to", async () => {
    const streams = new SessionStreams();
    const { stream, reader } = opened(streams, 1);
    const [priming] = await nextEvents(reader);
    // Far more than the byte bound, all written live: nothing is evicted, nothing kept.
    const big = "y".repeat(MAX_KEPT_BYTES / 4);
    for (let i = 0; i < 8; i++) {
      stream.send(log(big));
      await nextEvents(reader);
    }
    expect(streams.shed(1)).toBe(true);
    stream.send(answer(1, "done"));
    const events = await allEvents(streams.resume(priming?.id as string) as Response);
    expect(events.map((event) => JSON.parse(event.data))).toEqual([answer(1, "done")]);
  });

  it("says once when the POST's answer ends: closed (answered or shed) or cancelled by the client", async () => {
    const streams = new SessionStreams();
    const ends: string[] = [];
    const answered = streams.open([1]);
    const reader = answered.readable(true, undefined, () => ends.push("answered")).getReader();
    await nextEvents(reader);
    answered.send(answer(1, "done"));
    answered.closePost();
    answered.closePost();
    expect(ends).toEqual(["answered"]);
    // What was written before the close is still delivered.
    expect(JSON.parse((await nextEvents(reader))[0]?.data ?? "null")).toEqual(answer(1, "done"));
    expect((await reader.read()).done).toBe(true);

    const shed = streams.open([2]);
    const shedReader = shed.readable(true, undefined, () => ends.push("shed")).getReader();
    await nextEvents(shedReader);
    expect(streams.shed(2)).toBe(true);
    expect(ends).toEqual(["answered", "shed"]);

    let cancelled = 0;
    const left = streams.open([3]);
    const leftReader = left
      .readable(
        true,
        () => (cancelled += 1),
        () => ends.push(`left, cancel seen ${cancelled}`),
      )
      .getReader();
    await leftReader.cancel();
    left.closePost();
    // The end is said before the cancellation is handled, once.
    expect(ends).toEqual(["answered", "shed", "left, cancel seen 0"]);
    expect(cancelled).toBe(1);
  });

  it("answers a result that comes first as one JSON body, and says the answer ended", async () => {
    const streams = new SessionStreams();
    const stream = streams.open([1]);
    const ends: string[] = [];
    const response = stream.answer(true, undefined, () => ends.push("ended"));
    stream.send(answer(1, "done"));
    stream.closePost();
    // A plain object across the object's RPC boundary, made a Response in the Worker.
    expect(await response).toEqual({ status: 200, json: JSON.stringify(answer(1, "done")) });
    const json = sessionResponse(await response);
    expect(json.headers.get("content-type")).toBe("application/json");
    expect(await json.json()).toEqual(answer(1, "done"));
    expect(ends).toEqual(["ended"]);
    expect(stream.complete).toBe(true);
    // Nothing is kept: no event id was handed out, so there is nothing to resume.
    stream.end();
    expect(streams.resume(`${"0".repeat(12)}.1.1`)).toBeNull();
  });

  it("becomes the SSE stream when anything comes before the result", async () => {
    const streams = new SessionStreams();
    const stream = streams.open([1]);
    const response = stream.answer(true);
    stream.send(log("working"));
    stream.send(answer(1, "done"));
    stream.closePost();
    const sse = sessionResponse(await response);
    expect(sse.headers.get("content-type")).toBe("text/event-stream");
    const events = await allEvents(sse);
    expect(events[0]).toMatchObject({ data: "", retry: String(SESSION_STREAM_RETRY_MS) });
    expect(events.slice(1).map((event) => JSON.parse(event.data))).toEqual([
      log("working"),
      answer(1, "done"),
    ]);
    // Unprimed (a 2025-06-18 client): the same stream without the priming event.
    const plain = streams.open([2]);
    const unprimed = plain.answer(false);
    plain.send(log("working"));
    plain.send(answer(2, "done"));
    plain.closePost();
    expect((await allEvents(sessionResponse(await unprimed))).map((event) => JSON.parse(event.data))).toEqual(
      [log("working"), answer(2, "done")],
    );
  });

  it("becomes a primed stream when shed before the result, and ends without an answer as a stream", async () => {
    const streams = new SessionStreams();
    const stream = streams.open([1]);
    const response = stream.answer(true);
    expect(streams.shed(1)).toBe(true);
    const [priming, ...rest] = await allEvents(sessionResponse(await response));
    expect(priming?.id).toBeDefined();
    expect(rest).toEqual([]);
    // Its answer waits for the client's resume.
    stream.send(answer(1, "done"));
    const resumed = streams.resume(priming?.id ?? "");
    expect((await allEvents(resumed as Response)).map((event) => JSON.parse(event.data))).toEqual([
      answer(1, "done"),
    ]);
    // A call cancelled by the client's notifications/cancelled ends with no answer: an empty stream.
    const cancelled = streams.open([2]);
    const unanswered = cancelled.answer(false);
    cancelled.closePost();
    const empty = sessionResponse(await unanswered);
    expect(empty.headers.get("content-type")).toBe("text/event-stream");
    expect(await empty.text()).toBe("");
  });
});
