// The lease watches a streamed answer through a native pipe: a stream that
// completes or that the client abandons is not the replica's fault; one the
// upstream breaks is ("stream cut"), and the client's hang-up reaches the
// upstream's stream (it is cancelled, so the connection is released).
import { describe, expect, it } from "vitest";
import { WatchedAnswer, watchStream } from "../../worker/upstream/leased-exchange.ts";

const encoder = new TextEncoder();

/** A stream fed by hand, as an upstream's body is. */
function upstream() {
  let feed!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      feed = controller;
    },
  });
  return {
    body,
    writer: {
      write: async (chunk: Uint8Array) => feed.enqueue(chunk),
      close: async () => feed.close(),
      abort: async (reason: unknown) => feed.error(reason),
    },
  };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text();
}

describe("watchStream", () => {
  it("passes every byte through and settles ok when the upstream completes", async () => {
    const source = upstream();
    const { body, settled } = watchStream(source.body, 12);
    const read = readAll(body);
    await source.writer.write(encoder.encode("event: message\ndata: 1\n\n"));
    await source.writer.write(encoder.encode("event: message\ndata: 2\n\n"));
    await source.writer.close();
    expect(await read).toBe("event: message\ndata: 1\n\nevent: message\ndata: 2\n\n");
    expect(await settled).toEqual({ ok: true, reachedUpstream: true, latencyMs: 12 });
  });

  it("counts a stream the upstream breaks against the replica", async () => {
    const source = upstream();
    const { body, settled } = watchStream(source.body, 5);
    const reader = body.getReader();
    await source.writer.write(encoder.encode("data: 1\n\n"));
    expect((await reader.read()).done).toBe(false);
    await source.writer.abort(new Error("connection reset"));
    await expect(reader.read()).rejects.toBeDefined();
    expect(await settled).toMatchObject({ ok: false, reason: "stream cut" });
  });

  it("does not count a client's hang-up, and cancels the upstream's stream", async () => {
    let cancelled: unknown = null;
    const source = new ReadableStream<Uint8Array>({
      pull: (controller) => controller.enqueue(encoder.encode("data: tick\n\n")),
      cancel: (reason) => {
        cancelled = reason ?? "cancelled";
      },
    });
    const { body, settled } = watchStream(source, 7);
    const reader = body.getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel("client gone");
    expect(await settled).toEqual({ ok: true, reachedUpstream: true, latencyMs: 7 });
    expect(cancelled).not.toBeNull();
  });

  it("a WatchedAnswer keeps the upstream's status and headers and builds one Response, on first read, around the watched body", async () => {
    const source = upstream();
    const upstreamResponse = new Response(source.body, {
      status: 200,
      headers: { "content-type": "text/event-stream", "mcp-session-id": "raw" },
    });
    const { body, settled } = watchStream(upstreamResponse.body as ReadableStream<Uint8Array>, 3);
    const answer = new WatchedAnswer(upstreamResponse, body);
    // The upstream's own body is being piped: only its status and headers are read.
    expect(upstreamResponse.body?.locked).toBe(true);
    expect(answer.upstream.headers.get("content-type")).toBe("text/event-stream");
    const whole = answer.response;
    expect(answer.response).toBe(whole);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("mcp-session-id")).toBe("raw");
    const read = whole.text();
    await source.writer.write(encoder.encode("data: 1\n\n"));
    await source.writer.close();
    expect(await read).toBe("data: 1\n\n");
    expect(await settled).toEqual({ ok: true, reachedUpstream: true, latencyMs: 3 });
  });
});
