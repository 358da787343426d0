// The channel between a session-based client and the upstreams it reaches
// through the gateway, held by the client's McpSession Durable Object while
// it is in memory. Each POST is served by a fresh SDK server on its own
// transport, so anything that must outlive one POST lives here:
// - requests the gateway sends the client for an upstream (elicitation,
//   sampling, roots) go out on the stream of the client request they belong
//   to, under a gateway id (`gw-{n}`); the client's answer arrives in a later
//   POST and is matched here;
// - `notifications/cancelled` from the client reaches the transport that is
//   serving the cancelled request (the SDK aborts its handler, which cancels
//   the upstream call);
// - the standalone stream (GET) carries list changes, coalesced, and updates
//   of subscribed resources, from the upstreams the caller may see.
import type { Transport } from "@modelcontextprotocol/server";
import { ProtocolError } from "@modelcontextprotocol/server";
import { type ClassifiedMessage, ErrorCode, type JsonRpcId } from "../protocol/jsonrpc.ts";
import { formatSseEvent } from "../protocol/sse.ts";
import type {
  RelayedCapabilities,
  RelayedRequestMethod,
  UpstreamNotice,
} from "../upstream/upstream-relay.ts";

/** What a request handler of the session needs to reach its client (see gateway-forward.ts). */
export interface ClientChannel {
  /** The client's bridgeable capabilities (declared upstream). */
  capabilities: RelayedCapabilities;
  /** Sends `method` to the client on the stream of request `relatedId`; resolves with its answer. */
  request(
    relatedId: JsonRpcId,
    method: RelayedRequestMethod,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** A notification of upstream `serverPath` that is not about one request (list changes, resource updates). */
  notify(serverPath: string, notice: UpstreamNotice): void;
  /** Resource URIs (as the client names them) the client subscribed to. */
  subscriptions: Set<string>;
  /** Closes the client's stream of request `relatedId` while its call goes on (session-streams.ts); `reconnect` runs when the client resumes. */
  shed?(relatedId: JsonRpcId, reconnect: () => void): boolean;
}

/** List changes within this window reach the client as one notification per kind. */
export const COALESCE_MS = 100;

export const LIST_CHANGED = new Set([
  "notifications/tools/list_changed",
  "notifications/resources/list_changed",
  "notifications/prompts/list_changed",
]);

/** Gathers list changes for COALESCE_MS and hands on each kind (notification method) once. */
export class ListChangeCoalescer {
  private readonly pending = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly emit: (method: string) => void) {}

  add(method: string): void {
    this.pending.add(method);
    this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
  }

  /** Drops what is pending (the stream it was for has ended). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private flush(): void {
    this.timer = null;
    const kinds = [...this.pending];
    this.pending.clear();
    for (const method of kinds) this.emit(method);
  }
}

interface Waiting {
  related: string;
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
}

const encoder = new TextEncoder();

export class SessionRelay {
  private sequence = 0;
  /** Gateway request id -> the handler waiting for the client's answer. */
  private readonly waiting = new Map<string, Waiting>();
  /** Client request id (JSON) -> the transport serving it. */
  private readonly serving = new Map<string, Transport>();
  private stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  private streamEnded: AbortController | null = null;
  private readonly listChanges = new ListChangeCoalescer((method) => this.push({ method }));
  /** Resource URIs (as the client names them) the client subscribed to. */
  readonly subscriptions = new Set<string>();
  /** Upstream sessions (`{serverId} {endpoint url}`) the standalone stream listens on. */
  readonly listened = new Set<string>();
  /** Starts listeners on upstream sessions opened since the stream opened (set while it is open). */
  relisten: (() => void) | null = null;

  constructor(
    readonly capabilities: RelayedCapabilities,
    /** The URI the client knows for resource `uri` of `serverPath` (the aggregated endpoint wraps them). */
    private readonly clientUri: (serverPath: string, uri: string) => string,
  ) {}

  /** The channel request handlers use. */
  channel(): ClientChannel {
    return {
      capabilities: this.capabilities,
      request: (relatedId, method, params, signal) => this.request(relatedId, method, params, signal),
      notify: (serverPath, notice) => this.upstreamNotice(serverPath, notice),
      subscriptions: this.subscriptions,
    };
  }

  /** `transport` serves the requests of one POST body until the returned release is called. */
  serve(transport: Transport, messages: ClassifiedMessage[]): () => void {
    const ids = messages.flatMap((entry) => (entry.type === "request" ? [keyOf(entry.message.id)] : []));
    for (const id of ids) this.serving.set(id, transport);
    return () => {
      for (const id of ids) {
        if (this.serving.get(id) === transport) this.serving.delete(id);
      }
      for (const [gatewayId, waiting] of this.waiting) {
        if (!ids.includes(waiting.related)) continue;
        this.waiting.delete(gatewayId);
        waiting.reject(
          new ProtocolError(ErrorCode.InternalError, "the request this one belonged to has ended"),
        );
      }
    };
  }

  /** A POST without requests: the client's answers to gateway requests, and its cancellations. */
  deliver(messages: ClassifiedMessage[]): void {
    for (const entry of messages) {
      const message = entry.message as unknown as Record<string, unknown>;
      if (entry.type === "response") {
        const id = String(message.id);
        const waiting = this.waiting.get(id);
        if (!waiting) continue;
        this.waiting.delete(id);
        const error = message.error as { code?: number; message?: string; data?: unknown } | undefined;
        if (error) {
          waiting.reject(
            new ProtocolError(
              error.code ?? ErrorCode.InternalError,
              error.message ?? "the client refused",
              error.data,
            ),
          );
        } else waiting.resolve((message.result ?? {}) as Record<string, unknown>);
        continue;
      }
      if (entry.type === "notification" && message.method === "notifications/cancelled") {
        const params = (message.params ?? {}) as { requestId?: JsonRpcId };
        if (params.requestId === undefined) continue;
        const transport = this.serving.get(keyOf(params.requestId));
        // The SDK server behind the transport aborts the handler's signal; the upstream call follows.
        transport?.onmessage?.(message as never);
      }
    }
  }

  private async request(
    relatedId: JsonRpcId,
    method: RelayedRequestMethod,
    params: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    const related = keyOf(relatedId);
    const transport = this.serving.get(related);
    if (!transport) throw new ProtocolError(ErrorCode.InternalError, "the client's request has ended");
    this.sequence += 1;
    const id = `gw-${this.sequence}`;
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.waiting.set(id, { related, resolve, reject });
    });
    const onAbort = () => {
      const waiting = this.waiting.get(id);
      if (!waiting) return;
      this.waiting.delete(id);
      // Cancellation the other way: the upstream gave up on its request, so the client may too.
      const params = { requestId: id, reason: "cancelled by the server" };
      transport
        .send({ jsonrpc: "2.0", method: "notifications/cancelled", params }, { relatedRequestId: relatedId })
        .catch(() => {});
      waiting.reject(new ProtocolError(ErrorCode.RequestCancelled, "request cancelled"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await transport.send({ jsonrpc: "2.0", id, method, params }, { relatedRequestId: relatedId });
      return await answer;
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.waiting.delete(id);
    }
  }

  /** Opens the standalone stream (GET); `ended` aborts when the client goes away or a new stream replaces it. */
  openStream(): { response: Response; ended: AbortSignal } {
    this.closeStream();
    const ended = new AbortController();
    this.streamEnded = ended;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.stream = controller;
        // A comment first, so the client sees the stream open before any notification.
        controller.enqueue(encoder.encode(": stream open\n\n"));
      },
      cancel: () => {
        if (this.streamEnded === ended) this.closeStream();
      },
    });
    const headers = { "content-type": "text/event-stream", "cache-control": "no-cache" };
    return { response: new Response(body, { status: 200, headers }), ended: ended.signal };
  }

  /** Ends the standalone stream (session end, a replacing GET). */
  closeStream(): void {
    const controller = this.stream;
    this.stream = null;
    this.relisten = null;
    this.listened.clear();
    this.streamEnded?.abort();
    this.streamEnded = null;
    try {
      controller?.close();
    } catch {
      // Already closed by the client.
    }
  }

  /** A notification from upstream `serverPath`, already known to be one the caller may see. */
  upstreamNotice(serverPath: string, notice: UpstreamNotice): void {
    if (LIST_CHANGED.has(notice.method)) {
      this.listChanges.add(notice.method);
      return;
    }
    if (notice.method === "notifications/resources/updated") {
      const uri = notice.params?.uri;
      if (typeof uri !== "string") return;
      const clientUri = this.clientUri(serverPath, uri);
      if (!this.subscriptions.has(clientUri)) return;
      this.push({ method: notice.method, params: { ...notice.params, uri: clientUri } });
      return;
    }
    if (notice.method === "notifications/message") this.push(notice);
  }

  private push(notice: UpstreamNotice): void {
    if (!this.stream) return;
    const message = { jsonrpc: "2.0", ...notice };
    try {
      this.stream.enqueue(encoder.encode(formatSseEvent({ data: JSON.stringify(message), comments: [] })));
    } catch {
      this.stream = null;
    }
  }
}

function keyOf(id: JsonRpcId): string {
  return JSON.stringify(id);
}
