// A loopback OTLP/HTTP traces receiver for bench/observability.bench.ts, run
// as its own process so decoding exports costs the load generator nothing.
// Counts the spans it receives (by their `"spanId"` keys) and answers
// `GET /count` with `{"spans": n, "exports": n}`.
//
//   node bench/otlp-receiver.ts <port>
import { createServer } from "node:http";

const port = Number(process.argv[2]);
let spans = 0;
let exports = 0;
const SPAN_KEY = /"spanId"/g;

createServer((request, response) => {
  if (request.method === "GET") {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ spans, exports }));
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    exports += 1;
    spans += (Buffer.concat(chunks).toString().match(SPAN_KEY) ?? []).length;
    response.setHeader("content-type", "application/json");
    response.end("{}");
  });
}).listen(port, "127.0.0.1");
