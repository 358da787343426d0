// CPU of answering one session client's tools/call inside the McpSession
// object, the serving only (the handler returns a canned result at once):
// the SDK's full path (a Server with a tools/call handler and a session-less
// WebStandardStreamableHTTPServerTransport per request, answering as SSE with
// the session's event store) against the direct path's writing
// (aggregated/session-streams.ts: the stream, its events, the result checked
// with the SDK's CallToolResult schema). Both read the whole answer. Node,
// in one process, alternating blocks; medians of blocks.
//
//   npm exec -- node bench/session-serving.bench.ts [--requests 2000 --blocks 5]
import { parseArgs } from "node:util";
import {
  type JSONRPCMessage,
  Server,
  specTypeSchemas,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import { SESSION_STREAM_RETRY_MS, SessionStreams } from "../worker/aggregated/session-streams.ts";

const { values: options } = parseArgs({
  options: { requests: { type: "string", default: "2000" }, blocks: { type: "string", default: "5" } },
});
const REQUESTS = Number(options.requests);
const BLOCKS = Number(options.blocks);

const RESULT = { content: [{ type: "text" as const, text: '{"words":3,"characters":5}' }] };
const CALL = {
  jsonrpc: "2.0",
  id: 1,
  method: "tools/call",
  params: { name: "demo__word_count", arguments: {} },
};
const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
};

async function sdkPath(streams: SessionStreams): Promise<void> {
  const server = new Server({ name: "bench", version: "1" }, { capabilities: { tools: {} } });
  server.setRequestHandler("tools/call", async () => RESULT);
  const stream = streams.open([1]);
  const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    eventStore: stream.eventStore(() => transport.closeSSEStream(1)),
    retryInterval: SESSION_STREAM_RETRY_MS,
  });
  await server.connect(transport);
  const request = new Request("http://bench/mcp", { method: "POST", headers: HEADERS });
  const response = await transport.handleRequest(request, { parsedBody: CALL });
  await response.text();
  stream.end();
  await server.close();
}

async function directPath(streams: SessionStreams): Promise<void> {
  const stream = streams.open([1]);
  const body = stream.readable(true);
  const checked = specTypeSchemas.CallToolResult["~standard"].validate(RESULT);
  if (checked.issues) throw new Error("invalid");
  stream.send({ jsonrpc: "2.0", id: 1, result: checked.value } as JSONRPCMessage);
  stream.closePost();
  await new Response(body).text();
  stream.end();
}

async function block(run: (streams: SessionStreams) => Promise<void>): Promise<number> {
  const streams = new SessionStreams();
  const started = performance.now();
  for (let i = 0; i < REQUESTS; i++) await run(streams);
  return ((performance.now() - started) * 1000) / REQUESTS;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
// Warm-up.
await block(sdkPath);
await block(directPath);
const sdk: number[] = [];
const direct: number[] = [];
for (let i = 0; i < BLOCKS; i++) {
  sdk.push(await block(sdkPath));
  direct.push(await block(directPath));
}
console.log(`session tools/call serving, ${REQUESTS} requests x ${BLOCKS} blocks (median µs per request)`);
console.log(`SDK server + transport (SSE, event store): ${median(sdk).toFixed(0)} µs`);
console.log(`direct path (session-streams.ts):         ${median(direct).toFixed(0)} µs`);
console.log(`ratio direct / SDK: ${(median(direct) / median(sdk)).toFixed(2)}`);
