import { describe, expect, it } from "vitest";
import { readingJsonLines } from "../../worker/upstream/lenient-results.ts";

/** A fetch that answers every request with `body` as `contentType`. */
function answering(body: string, contentType: string): typeof fetch {
  return async () => new Response(body, { status: 200, headers: { "content-type": contentType } });
}

const POST = { method: "POST", body: "{}" };

describe("readingJsonLines", () => {
  it("reads one JSON-RPC message per line in an application/json answer as the SSE stream it means", async () => {
    const progress = {
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: { progressToken: "t", progress: 1 },
    };
    const result = { jsonrpc: "2.0", id: 7, result: { content: [] } };
    const body = `${JSON.stringify(progress)}\n${JSON.stringify(result)}`;
    const response = await readingJsonLines(answering(body, "application/json"))("http://upstream/mcp", POST);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const data = (await response.text())
      .split("\n")
      .filter((line) => line.startsWith("data: "))
      .map((line) => JSON.parse(line.slice("data: ".length)));
    expect(data).toEqual([progress, result]);
  });

  it("leaves one JSON document alone, pretty-printed arrays of objects included", async () => {
    const body = JSON.stringify(
      [
        { jsonrpc: "2.0", id: 1, result: {} },
        { jsonrpc: "2.0", id: 2, result: {} },
      ],
      null,
      2,
    );
    const response = await readingJsonLines(answering(body, "application/json; charset=utf-8"))(
      "http://upstream/mcp",
      POST,
    );
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(JSON.parse(await response.text())).toEqual(JSON.parse(body));
  });

  it("never touches SSE answers or GET streams", async () => {
    const sse = "event: message\ndata: {}\n\n";
    const post = await readingJsonLines(answering(sse, "text/event-stream"))("http://upstream/mcp", POST);
    expect(await post.text()).toBe(sse);
    const lines = '{"a":1}\n{"b":2}';
    const get = await readingJsonLines(answering(lines, "application/json"))("http://upstream/mcp");
    expect(get.headers.get("content-type")).toBe("application/json");
    expect(await get.text()).toBe(lines);
  });
});
