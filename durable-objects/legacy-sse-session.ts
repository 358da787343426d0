// LegacySseSession: one per legacy HTTP+SSE client of a virtual server
// (`/v/{name}/sse`), named `legacy-sse:{id}`. It holds the client's event
// stream and bridges it onto the session leg every session-based client
// uses: the client's first POST (`initialize`) opens an McpSession, every
// later POST is handed to that session as a Streamable HTTP request, and
// whatever the session answers (results, errors, progress) is written to the
// event stream as `message` events. So a legacy client gets exactly what a
// Streamable HTTP client of `/v/{name}/mcp` gets: same policy, same audit,
// same upstream sessions; nothing of the protocol is written twice.
// State lives in memory only: the stream itself lives here, and when the
// object goes away the stream is gone with it (the client reconnects).
// RPC only: the Worker authenticates and calls open / deliver.
import { DurableObject } from "cloudflare:workers";
import type { IngressSnapshot } from "../worker/edge/ingress.ts";
import { sessionStub } from "../worker/platform/durable-objects.ts";
import { randomHex } from "../worker/platform/encoding.ts";
import { ErrorCode } from "../worker/protocol/jsonrpc.ts";
import { jsonRpcError } from "../worker/protocol/replies.ts";
import { formatSseEvent, SseParser } from "../worker/protocol/sse.ts";
import { callerKey } from "../worker/proxy/session-token.ts";

const encoder = new TextEncoder();

export class LegacySseSession extends DurableObject<Env> {
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private owner: string | null = null;
  private virtual: string | null = null;
  /** The McpSession this stream is bridged to, once `initialize` succeeded. */
  private session: { id: string; protocolVersion: string } | null = null;
  /** The latest request, to end the McpSession as its caller when the stream goes away. */
  private last: IngressSnapshot | null = null;

  /**
   * Opens the event stream for `principalKey` (callerKey) on virtual server
   * `virtual`; its first event names `endpoint`, where the client POSTs.
   */
  async open(principalKey: string, virtual: string, endpoint: string): Promise<Response> {
    if (this.writer !== null) return jsonRpcError(409, ErrorCode.InvalidRequest, "Session already exists");
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.writer = writable.getWriter();
    this.owner = principalKey;
    this.virtual = virtual;
    // The client hung up (the readable side was cancelled): end the bridged session too.
    this.writer.closed.catch(() => this.close());
    // Not awaited: the write completes only once the client reads, after this returns.
    this.send({ event: "endpoint", data: endpoint, comments: [] }).catch(() => this.close());
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform" },
    });
  }

  /**
   * One POST of the client: 202 right away, the answer follows on the stream.
   * Another identity's POST is answered as if the session did not exist.
   */
  async deliver(snapshot: IngressSnapshot, virtual: string): Promise<Response> {
    if (this.writer === null || this.owner !== callerKey(snapshot.principal) || this.virtual !== virtual) {
      return jsonRpcError(404, ErrorCode.InvalidRequest, "Session not found");
    }
    if (this.session === null && !isInitialize(snapshot)) {
      return jsonRpcError(400, ErrorCode.InvalidRequest, "Bad Request: the session is not initialized");
    }
    this.last = snapshot;
    // The stream keeps this object alive until the exchange has been written to it.
    this.ctx.waitUntil(this.exchange(snapshot).catch(() => this.close()));
    return new Response("Accepted", { status: 202 });
  }

  private async exchange(snapshot: IngressSnapshot): Promise<void> {
    const virtual = this.virtual;
    if (this.session === null) {
      const id = randomHex(32);
      const response = await sessionStub(this.env, id).open(this.asStreamable(snapshot, null), id, virtual);
      const protocolVersion = await this.relay(response, true);
      if (response.ok && protocolVersion) this.session = { id, protocolVersion };
      return;
    }
    const response = await sessionStub(this.env, this.session.id).handle(
      this.asStreamable(snapshot, this.session),
      virtual,
    );
    await this.relay(response, false);
  }

  /** The legacy POST as the Streamable HTTP request the session leg expects. */
  private asStreamable(
    snapshot: IngressSnapshot,
    session: { id: string; protocolVersion: string } | null,
  ): IngressSnapshot {
    const url = new URL(snapshot.url);
    url.pathname = `/v/${encodeURIComponent(this.virtual ?? "")}/mcp`;
    url.search = "";
    const headers = new Headers(snapshot.headers);
    headers.set("content-type", "application/json");
    headers.set("accept", "application/json, text/event-stream");
    if (session) {
      headers.set("mcp-session-id", session.id);
      headers.set("mcp-protocol-version", session.protocolVersion);
    }
    return { ...snapshot, url: url.href, headers: [...headers] };
  }

  /**
   * Writes the JSON-RPC messages of a session-leg answer (JSON or SSE) to the
   * stream; returns the negotiated protocol version when `initialize` answered.
   */
  private async relay(response: Response, initialize: boolean): Promise<string | null> {
    const type = response.headers.get("content-type") ?? "";
    if (!response.body) return null;
    if (type.startsWith("text/event-stream")) {
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      while (true) {
        const { done, value } = await reader.read();
        const events = done ? parser.end() : parser.push(value);
        for (const event of events) {
          if ((event.event ?? "message") === "message" && event.data !== "") await this.message(event.data);
        }
        if (done) break;
      }
      return null;
    }
    const text = await response.text();
    // 202 (a notification or a client's response) carries nothing to relay.
    if (!type.includes("json") || text === "") return null;
    await this.message(text);
    if (!initialize) return null;
    const result = (JSON.parse(text) as { result?: { protocolVersion?: unknown } }).result;
    return typeof result?.protocolVersion === "string" ? result.protocolVersion : null;
  }

  private message(json: string): Promise<void> {
    return this.send({ event: "message", data: json, comments: [] });
  }

  private async send(event: Parameters<typeof formatSseEvent>[0]): Promise<void> {
    if (this.writer === null) return;
    await this.writer.write(encoder.encode(formatSseEvent(event)));
  }

  /** The client went away: end the bridged McpSession too (best effort). */
  private async close(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    await writer?.abort().catch(() => {});
    const { session, last } = this;
    this.session = null;
    if (session && last) {
      const ending = { ...this.asStreamable(last, session), method: "DELETE", json: undefined, body: null };
      await sessionStub(this.env, session.id)
        .end(ending, this.virtual)
        .catch(() => {});
    }
  }
}

function isInitialize(snapshot: IngressSnapshot): boolean {
  const first = snapshot.body?.messages[0];
  return snapshot.body?.batch === false && first?.type === "request" && first.method === "initialize";
}
