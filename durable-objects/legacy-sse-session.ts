// LegacySseSession: one per legacy HTTP+SSE client (2024-11-05 transport),
// named `legacy-sse:{id}`. It holds the client's event stream and bridges it
// onto a Streamable HTTP leg (legacy-sse-legs.ts): the session leg of a
// virtual server (`/v/{name}/sse`) or the per-server proxy of a server that
// speaks only Streamable HTTP (`/{path}/sse`). The client's first POST
// (`initialize`) opens the leg's session, every later POST is handed to the
// leg as a Streamable HTTP request of that session, and whatever the leg
// answers (results, errors, progress, the upstream's own requests) is written
// to the event stream as `message` events; so is what the leg's standalone
// stream carries. A legacy client therefore gets exactly what a Streamable
// HTTP client of the same endpoint gets: same policy, same audit, same
// upstream sessions; nothing of the protocol is written twice.
// State lives in memory only: the stream itself lives here, and when the
// object goes away the stream is gone with it (the client reconnects).
// RPC only: the Worker authenticates and calls open / deliver.
import { DurableObject } from "cloudflare:workers";
import type { IngressSnapshot } from "../worker/edge/ingress.ts";
import { ErrorCode } from "../worker/protocol/jsonrpc.ts";
import { jsonRpcError } from "../worker/protocol/replies.ts";
import { formatSseEvent, SseParser } from "../worker/protocol/sse.ts";
import { callerKey } from "../worker/proxy/session-token.ts";
import { servicesFor } from "../worker/services.ts";
import { type BridgedSession, type LegacyLeg, serverLeg, virtualLeg } from "./legacy-sse-legs.ts";

/** What the stream is bridged to: a virtual server by name, or a registered server by path. */
export type LegacyTarget = { virtual: string } | { server: string };

const encoder = new TextEncoder();
/**
 * A client that went away is noticed only when the stream is next written
 * (workerd reports no cancellation to a writer that is idle): a comment this
 * often notices it, and ends its session, even when nothing else is said.
 */
const KEEPALIVE_MS = 15_000;
const KEEPALIVE = encoder.encode(": keepalive\n\n");

export class LegacySseSession extends DurableObject<Env> {
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private owner: string | null = null;
  /** The target, as a key a later POST must name too. */
  private target: string | null = null;
  private leg: LegacyLeg | null = null;
  /** The leg's session, once `initialize` succeeded. */
  private session: BridgedSession | null = null;
  /** The latest request, to end the session as its caller when the stream goes away. */
  private last: IngressSnapshot | null = null;
  /** Aborted when the client's stream is gone: ends the leg's upstream streams. */
  private readonly gone = new AbortController();
  private keepalive: ReturnType<typeof setInterval> | null = null;

  /**
   * Opens the event stream for `principalKey` (callerKey) on `target`; its
   * first event names `endpoint`, where the client POSTs.
   */
  async open(principalKey: string, target: LegacyTarget, endpoint: string): Promise<Response> {
    if (this.writer !== null) return jsonRpcError(409, ErrorCode.InvalidRequest, "Session already exists");
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    this.writer = writable.getWriter();
    this.owner = principalKey;
    this.target = JSON.stringify(target);
    this.leg = this.legFor(target);
    // The client hung up (the readable side was cancelled): end the bridged session too.
    this.writer.closed.catch(() => this.close());
    // Not awaited: the write completes only once the client reads, after this returns.
    this.send({ event: "endpoint", data: endpoint, comments: [] }).catch(() => this.close());
    this.keepalive = setInterval(() => {
      this.writer?.write(KEEPALIVE).catch(() => this.close());
    }, KEEPALIVE_MS);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform" },
    });
  }

  /**
   * One POST of the client: 202 right away, the answer follows on the stream.
   * Another identity's POST is answered as if the session did not exist.
   */
  async deliver(snapshot: IngressSnapshot, target: LegacyTarget): Promise<Response> {
    if (
      this.writer === null ||
      this.owner !== callerKey(snapshot.principal) ||
      this.target !== JSON.stringify(target)
    ) {
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

  private legFor(target: LegacyTarget): LegacyLeg {
    if ("virtual" in target) return virtualLeg(this.env, target.virtual);
    const { services, config } = servicesFor(this.env);
    const deps = { env: this.env, services, config, waitUntil: this.ctx, clientGone: this.gone.signal };
    return serverLeg(deps, target.server);
  }

  private async exchange(snapshot: IngressSnapshot): Promise<void> {
    const leg = this.leg;
    if (leg === null) return;
    const session = this.session;
    const { response, sessionId } = await leg.post(this.asStreamable(snapshot, "POST", session), session);
    if (session === null) {
      const protocolVersion = await this.relay(response, true);
      if (!response.ok || !protocolVersion || sessionId === null) return;
      this.session = { id: sessionId, protocolVersion };
      await this.listen(snapshot);
      return;
    }
    if (sessionId !== null && this.session !== null) this.session.id = sessionId;
    await this.relay(response, false);
    // The session ended (expired, or the upstream's could not be reopened): so does the stream.
    if (response.status === 404) await this.close();
  }

  /** Relays the leg's standalone stream (server-initiated messages) until it or the client ends. */
  private async listen(snapshot: IngressSnapshot): Promise<void> {
    const leg = this.leg;
    if (leg === null || this.session === null) return;
    const response = await leg.listen(this.asStreamable(snapshot, "GET", this.session));
    if (response === null) return;
    if (!response.ok || !response.headers.get("content-type")?.startsWith("text/event-stream")) {
      // The upstream offers no standalone stream (405): answers still come on each POST.
      await response.body?.cancel();
      return;
    }
    this.ctx.waitUntil(this.relay(response, false).catch(() => {}));
  }

  /** A request of the client as the Streamable HTTP request the leg expects. */
  private asStreamable(
    snapshot: IngressSnapshot,
    method: "GET" | "POST" | "DELETE",
    session: BridgedSession | null,
  ): IngressSnapshot {
    const url = new URL(snapshot.url);
    url.pathname = this.leg?.endpointPath ?? "/";
    url.search = "";
    const headers = new Headers(snapshot.headers);
    headers.delete("content-length");
    headers.set("content-type", "application/json");
    headers.set("accept", method === "GET" ? "text/event-stream" : "application/json, text/event-stream");
    if (session) {
      headers.set("mcp-session-id", session.id);
      headers.set("mcp-protocol-version", session.protocolVersion);
    }
    if (method === "POST") return { ...snapshot, url: url.href, headers: [...headers] };
    return { ...snapshot, method, url: url.href, headers: [...headers], json: undefined, body: null };
  }

  /**
   * Writes the JSON-RPC messages of a leg's answer (JSON or SSE) to the
   * stream; returns the negotiated protocol version when `initialize` answered.
   */
  private async relay(response: Response, initialize: boolean): Promise<string | null> {
    const type = response.headers.get("content-type") ?? "";
    if (!response.body) return null;
    if (type.startsWith("text/event-stream")) {
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let version: string | null = null;
      while (true) {
        const { done, value } = await reader.read();
        const events = done ? parser.end() : parser.push(value);
        for (const event of events) {
          if ((event.event ?? "message") !== "message" || event.data === "") continue;
          await this.message(event.data);
          version ??= initialize ? protocolVersionOf(event.data) : null;
        }
        if (done) break;
      }
      return version;
    }
    const text = await response.text();
    // 202 (a notification or a client's response) carries nothing to relay.
    if (!type.includes("json") || text === "") return null;
    await this.message(text);
    return initialize ? protocolVersionOf(text) : null;
  }

  private message(json: string): Promise<void> {
    return this.send({ event: "message", data: json, comments: [] });
  }

  private async send(event: Parameters<typeof formatSseEvent>[0]): Promise<void> {
    if (this.writer === null) return;
    await this.writer.write(encoder.encode(formatSseEvent(event)));
  }

  /** The client went away or the session ended: close the stream and end the session (best effort). */
  private async close(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    if (this.keepalive !== null) clearInterval(this.keepalive);
    this.keepalive = null;
    this.gone.abort();
    // Not awaited: a stream the client no longer reads would never finish closing.
    writer?.close().catch(() => {});
    const { session, last, leg } = this;
    this.session = null;
    if (session && last && leg) {
      await leg.end(this.asStreamable(last, "DELETE", session), session).catch(() => {});
    }
  }
}

function protocolVersionOf(json: string): string | null {
  try {
    const result = (JSON.parse(json) as { result?: { protocolVersion?: unknown } }).result;
    return typeof result?.protocolVersion === "string" ? result.protocolVersion : null;
  } catch {
    return null;
  }
}

function isInitialize(snapshot: IngressSnapshot): boolean {
  const first = snapshot.body?.messages[0];
  return snapshot.body?.batch === false && first?.type === "request" && first.method === "initialize";
}
