import { describe, expect, it } from "vitest";
import { formatSseEvent, type SseEvent, SseParser, transformSseStream } from "../../worker/protocol/sse.ts";

function parseAll(chunks: string[]): SseEvent[] {
  const parser = new SseParser();
  const events = chunks.flatMap((chunk) => parser.push(chunk));
  return [...events, ...parser.end()];
}

describe("SseParser", () => {
  it("parses events split across arbitrary chunk boundaries", () => {
    const text = 'event: endpoint\ndata: /message?sessionId=1\n\nid: 7\ndata: {"a":1}\n\n: keep-alive\n\n';
    const whole = parseAll([text]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(parseAll([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    expect(whole).toEqual([
      { event: "endpoint", data: "/message?sessionId=1", comments: [] },
      { id: "7", data: '{"a":1}', comments: [] },
      { data: "", comments: [" keep-alive"] },
    ]);
  });

  it("handles CRLF and CR line endings and multi-line data", () => {
    expect(parseAll(["data: a\r\ndata: b\r\n\r\ndata: c\r\r"])).toEqual([
      { data: "a\nb", comments: [] },
      { data: "c", comments: [] },
    ]);
  });

  it("round-trips through formatSseEvent", () => {
    const events = parseAll(["event: message\nid: 3\ndata: x\ndata: y\n\n:ping\n\n"]);
    expect(parseAll(events.map(formatSseEvent))).toEqual(events);
  });
});

describe("transformSseStream", () => {
  it("rewrites events as they arrive, with a prefix", async () => {
    const encoder = new TextEncoder();
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode("data: one\n\nda"));
        controller.enqueue(encoder.encode("ta: two\n\n"));
        controller.close();
      },
    });
    const out = transformSseStream(
      source,
      (event) => (event.data === "two" ? [] : [{ ...event, data: event.data.toUpperCase() }]),
      [{ event: "hello", data: "first", comments: [] }],
    );
    const text = await new Response(out).text();
    expect(text).toBe("event: hello\ndata: first\n\ndata: ONE\n\n");
  });
});
