// A 2026-07-28 `subscriptions/listen` through the per-server endpoint
// /{path}/mcp, inside workerd, against a real upstream on loopback that
// answers it the way the conformance suite's reference server does: a
// never-ending chunked application/json body, one JSON-RPC message per line,
// the acknowledgement at once and a notification later
// (test/support/listen-upstream.ts). Each frame must reach the client as it
// arrives: a proxy that waits for the body to end would never answer, and
// this test would hang until its timeout. The answer reaches the client as
// the SSE stream the spec says it is: an application/json body is compressed
// between the Worker and the client (Cloudflare's front line, wrangler dev),
// and the compressor holds the small frames back.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { BASE, devAdminToken, registerServer, uniquePath } from "../support/api.ts";
import { postMcp, rpc } from "../support/mcp-http.ts";

const upstreams = inject("upstreams");
let token = "";
let path = "";

beforeAll(async () => {
  token = await devAdminToken();
  path = uniquePath("listen");
  await registerServer(path, { url: `${upstreams.probeUrl}/cache/mcp` });
});

function listen(id: string) {
  const params = {
    notifications: { resourcesListChanged: true },
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "listen-test", version: "1.0.0" },
    },
  };
  return postMcp(`${BASE}/${path}/mcp`, rpc("subscriptions/listen", params, id), {
    token,
    headers: { "mcp-protocol-version": "2026-07-28", "mcp-method": "subscriptions/listen" },
  });
}

/** Reads the messages of an SSE body one at a time, without waiting for its end. */
function messageReader(body: ReadableStream<Uint8Array>) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    async next(): Promise<Record<string, unknown>> {
      while (!buffered.includes("\n\n")) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended; left: ${JSON.stringify(buffered)}`);
        buffered += value;
      }
      const at = buffered.indexOf("\n\n");
      const data = buffered
        .slice(0, at)
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join("\n");
      buffered = buffered.slice(at + 2);
      return data === "" ? this.next() : (JSON.parse(data) as Record<string, unknown>);
    },
    cancel: () => reader.cancel(),
  };
}

describe("subscriptions/listen through /{path}/mcp", () => {
  it("streams the acknowledgement and later notifications as the upstream sends them", async () => {
    const response = await listen("sub-1");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    expect(response.headers.get("x-accel-buffering")).toBe("no");
    const lines = messageReader(response.body as ReadableStream<Uint8Array>);
    const meta = { "io.modelcontextprotocol/subscriptionId": "sub-1" };
    // The upstream never ends this body: each read returns only if the frame was passed on as it came.
    expect(await lines.next()).toMatchObject({
      method: "notifications/subscriptions/acknowledged",
      params: { _meta: meta, notifications: { resourcesListChanged: true } },
    });
    expect(await lines.next()).toMatchObject({
      method: "notifications/resources/list_changed",
      params: { _meta: meta },
    });
    await lines.cancel();
  });
});
