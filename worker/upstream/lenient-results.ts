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
