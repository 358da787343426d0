// How a real 2026-07-28 server answers `subscriptions/listen` (the shape the
// conformance suite's reference server uses): a never-ending chunked
// `application/json` body of one JSON-RPC message per line, the
// acknowledgement at once and a notification some time later, open until
// the client hangs up. A proxy that waits for the body to end before passing
// it on delivers nothing.
import type { ServerResponse } from "node:http";

/** How long after the acknowledgement the upstream sends its first notification. */
export const LISTEN_NOTIFICATION_DELAY_MS = 300;

export function answerListen(id: string | number, response: ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
  const meta = { "io.modelcontextprotocol/subscriptionId": String(id) };
  const frame = (method: string, params: Record<string, unknown>) =>
    response.write(`${JSON.stringify({ jsonrpc: "2.0", method, params: { _meta: meta, ...params } })}\n`);
  frame("notifications/subscriptions/acknowledged", { notifications: { resourcesListChanged: true } });
  const timer = setTimeout(
    () => frame("notifications/resources/list_changed", {}),
    LISTEN_NOTIFICATION_DELAY_MS,
  );
  response.on("close", () => clearTimeout(timer));
}
