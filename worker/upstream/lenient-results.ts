// Reads upstream results the way a tolerant client does: a response whose
// result carries no `resultType` is taken as `complete`. The 2026-07-28 wire
// makes `resultType` required and the SDK client rejects a modern result
// without it ("invalid tools/call result"), but real 2026 servers omit it on
// results their 2025 machinery produced (the conformance suite's own
// reference server does, on every tools/call it answers over SSE), and a
// client talking to them directly still gets its answer. The gateway's own
// server stamps `resultType` on what it returns, so its callers always see
// the strict wire. Only the absent case is defaulted: a present but unknown
// `resultType` still fails in the SDK as it should.
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/client";
import { jsonLinesAsSse } from "../protocol/json-lines.ts";
import { mapMessages } from "./message-mapping.ts";

/** `transport` with results lacking `resultType` read as `complete`; everything else untouched. */
export function defaultingResultType<T extends Transport>(transport: T): T {
  return mapMessages(transport, { incoming: withResultType });
}

export function withResultType(message: JSONRPCMessage): JSONRPCMessage {
  if (!("result" in message)) return message;
  const result: unknown = message.result;
  if (typeof result !== "object" || result === null || Array.isArray(result) || "resultType" in result) {
    return message;
  }
  return { ...message, result: { ...result, resultType: "complete" } } as JSONRPCMessage;
}

/**
 * Between two top-level JSON documents: `}` then a line break then `{`, with
 * no comma. Valid JSON never has this (a raw line break cannot be inside a
 * string, and values in arrays are comma-separated), so a body that matches
 * is several documents, one per line.
 */
export const BETWEEN_DOCUMENTS = /\}[ \t\r]*\n[ \t\r\n]*\{/;

/**
 * `fetchFn` reading a POST answer the way a tolerant client does: some
 * upstreams answer with several JSON-RPC messages, one per line, in an
 * `application/json` body (a notification, then the response) instead of an
 * SSE stream. The SDK client reads such a body as one document and fails;
 * read as the SSE stream it means, nothing is lost. The answer to a
 * `subscriptions/listen` never ends, so it is re-framed as it streams
 * (protocol/json-lines.ts) rather than read whole. Any other body passes
 * unchanged.
 */
export function readingJsonLines(fetchFn: typeof fetch): typeof fetch {
  return async (input, init) => {
    const response = await fetchFn(input, init);
    const contentType = response.headers.get("content-type") ?? "";
    if (init?.method !== "POST" || response.body === null || !contentType.includes("application/json")) {
      return response;
    }
    if (isListen(init.body)) {
      // A listen answer never ends: re-framed line by line as it streams, never read whole.
      const headers = new Headers(response.headers);
      headers.delete("content-length");
      headers.delete("content-encoding");
      headers.set("content-type", "text/event-stream");
      const status = { status: response.status, statusText: response.statusText };
      return new Response(jsonLinesAsSse(response.body), { ...status, headers });
    }
    const text = await response.text();
    // The body is decoded now: its length and encoding headers no longer describe it.
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("content-encoding");
    const status = { status: response.status, statusText: response.statusText };
    if (!BETWEEN_DOCUMENTS.test(text)) return new Response(text, { ...status, headers });
    const events = text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map((line) => `event: message\ndata: ${line}\n\n`)
      .join("");
    headers.set("content-type", "text/event-stream");
    return new Response(events, { ...status, headers });
  };
}

/** True when a POST body is one `subscriptions/listen` request (whose answer stays open). */
function isListen(body: RequestInit["body"]): boolean {
  if (typeof body !== "string" || !body.includes('"subscriptions/listen"')) return false;
  try {
    const message = JSON.parse(body) as { method?: unknown };
    return message.method === "subscriptions/listen";
  } catch {
    return false;
  }
}
