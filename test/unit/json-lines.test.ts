// JSON-lines answers re-framed as SSE (worker/protocol/json-lines.ts): one
// `message` event per JSON document, emitted as soon as its line ends, a
// pretty-printed document kept whole, whatever the chunking.
import { describe, expect, it } from "vitest";
import { jsonLinesAsSse } from "../../worker/protocol/json-lines.ts";

const encoder = new TextEncoder();

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

const dataOf = (sse: string) =>
  sse
    .split("\n\n")
    .filter((event) => event !== "")
    .map((event) => JSON.parse(event.replace(/^event: message\ndata: /, "")) as unknown);

describe("jsonLinesAsSse", () => {
  it("turns each line into one message event, across chunk boundaries", async () => {
    const text = await new Response(
      jsonLinesAsSse(streamOf(['{"a":1}\n{"b"', ":2}\r\n\n", '{"c":"x y"}'])),
    ).text();
    expect(text.startsWith('event: message\ndata: {"a":1}\n\n')).toBe(true);
    expect(dataOf(text)).toEqual([{ a: 1 }, { b: 2 }, { c: "x y" }]);
  });

  it("keeps a pretty-printed document whole", async () => {
    const pretty = JSON.stringify({ jsonrpc: "2.0", id: 1, error: { code: -32601, message: "no" } }, null, 2);
    const text = await new Response(jsonLinesAsSse(streamOf([`${pretty}\n`, '{"n":2}\n']))).text();
    expect(dataOf(text)).toEqual([
      { jsonrpc: "2.0", id: 1, error: { code: -32601, message: "no" } },
      { n: 2 },
    ]);
  });

  it("emits a document as soon as its line ends, before the body does", async () => {
    let push: (text: string) => void = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(encoder.encode(text));
      },
    });
    const reader = jsonLinesAsSse(body).getReader();
    push('{"first":true}\n');
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe('event: message\ndata: {"first":true}\n\n');
    await reader.cancel();
  });
});
