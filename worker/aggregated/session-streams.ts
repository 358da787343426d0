// Resumable response streams of a session-based client (Streamable HTTP,
// 2025-11-25, SEP-1699), held by its McpSession Durable Object: every POST
// stream of the session opens with a priming event (an event id, empty data
// and a `retry` field) and numbers its events, so that when the gateway
// closes a stream in the middle of a call (the upstream closed its own for
// polling, or any other reason to shed a long call) the call goes on in the
// object, and the client's GET with `Last-Event-ID` gets what it missed, then
// the rest of the stream live, up to the result.
// Memory stays bounded: events are kept only while a stream has no client
// connection (live events are written, not kept), per session at most
// MAX_DETACHED_STREAMS such streams and MAX_KEPT_BYTES of their events (the
// oldest stream is forgotten first). Event ids carry a random epoch of the
// object's instance, so an id from before an eviction never names a stream
// of the new instance. The session object checks the caller before a resume
// reaches this module, so a stream is only ever resumed by its own client.
import type { EventStore, JSONRPCMessage } from "@modelcontextprotocol/server";
import type { SessionAnswer } from "../platform/durable-objects.ts";
import type { JsonRpcId } from "../protocol/jsonrpc.ts";

/** The `retry` (ms) the priming event asks the client to wait before it reconnects to a closed stream. */
export const SESSION_STREAM_RETRY_MS = 1_000;
/** Streams without a client connection whose events are kept, per session. */
export const MAX_DETACHED_STREAMS = 16;
/** Bytes of kept events (as serialized), per session. */
export const MAX_KEPT_BYTES = 1024 * 1024;
/**
 * How long a direct-path answer (`SessionStream.answer`) may wait for its
 * call's result with nothing else to send before it becomes an SSE stream
 * (priming event, keep-alives, resumable), as a POST of the SDK's transport
 * always is. Most calls are answered sooner, as one JSON body.
 */
export const JSON_ANSWER_WINDOW_MS = 1_000;
/** How often the session looks for answers whose window has passed (one timer per session, not per call). */
const WINDOW_TICK_MS = 250;
/** The SDK's interval of SSE comments that keep a quiet stream open through proxies. */
const KEEP_ALIVE_MS = 15_000;

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache, no-transform",
  "x-accel-buffering": "no",
};
/** The SDK's standalone-stream id: notifications of a POST's server that belong to no request (never relayed here). */
const STANDALONE_STREAM = "_GET_stream";

const encoder = new TextEncoder();

/** The client's current connection to a stream: its POST answer, or a resuming GET. */
interface Connection {
  /** Writes a frame; absent when the SDK transport writes its POST stream itself. */
  write?(frame: string): void;
  close(): void;
}

/** An event as written on the wire. */
interface KeptEvent {
  seq: number;
  frame: string;
}

/** A direct-path answer not begun yet: JSON or SSE, whichever what comes first calls for. */
interface PendingAnswer {
  primed: boolean;
  onCancel: (() => void) | undefined;
  onEnded: (() => void) | undefined;
  resolve: (answer: SessionAnswer) => void;
  /** Epoch ms from which the answer is an SSE stream even without anything to send. */
  commitAt: number;
}

/** Event ids are `{epoch}.{stream}.{seq}`. */
interface EventPosition {
  epoch: string;
  stream: number;
  seq: number;
}

/** The response stream of one POST of the session: its requests, until each is answered. */
export class SessionStream {
  /** Request ids (as JSON) not answered yet. */
  private readonly pending: Set<string>;
  /** The POST's own answer, while the client holds it. */
  private post: Connection | null = null;
  /** A resuming GET, while the client holds it. */
  private resumed: Connection | null = null;
  private kept: KeptEvent[] = [];
  private keptBytes = 0;
  private primed = false;
  /** The gateway closed the client's connection while the call goes on. */
  private shed = false;
  private ended = false;
  /** Evicted or the session ended: nothing is kept any more. */
  private forgotten = false;
  /** Upstream reconnections held back until the client comes back (see `detach`). */
  private reconnects: (() => void)[] = [];
  /** The direct path's answer while it is still undecided (see `answer`). */
  private pendingAnswer: PendingAnswer | null = null;
  private keepAlive: ReturnType<typeof setInterval> | null = null;
  private settle!: () => void;
  /** Resolves once every request of the POST is answered or the serving ended. */
  readonly settled = new Promise<void>((resolve) => {
    this.settle = resolve;
  });

  constructor(
    private readonly owner: SessionStreams,
    readonly no: number,
    readonly requestIds: string[],
  ) {
    this.pending = new Set(requestIds);
  }

  /** Whether every request has its answer. */
  get complete(): boolean {
    return this.pending.size === 0;
  }

  private get connection(): Connection | null {
    return this.resumed ?? this.post;
  }

  /**
   * The SDK transport's event store for this POST (the transport serves
   * exactly one POST). The SDK writes the priming event and the messages to
   * its own POST stream; this store numbers them and keeps what a stream
   * without a client connection must replay. `closePost` closes the POST
   * stream (the transport's closeSSEStream).
   */
  eventStore(closePost: () => void): EventStore {
    this.post = { close: closePost };
    return {
      storeEvent: async (streamId, message) => {
        if (streamId === STANDALONE_STREAM) return this.owner.nextId(this.no);
        if (!this.primed && Object.keys(message).length === 0) {
          this.primed = true;
          return this.owner.nextId(this.no);
        }
        return this.store(message);
      },
      replayEventsAfter: async () => {
        // A resume never reaches a POST's transport: the session object serves it (SessionStreams.resume).
        throw new Error("session streams are resumed by the session object");
      },
    };
  }

  /**
   * The POST's answer when the gateway writes it itself (the direct path),
   * shaped by what comes first. The call's result alone, within
   * JSON_ANSWER_WINDOW_MS: one `application/json` body (Streamable HTTP lets
   * a server answer a POST either way; SDK clients take both), with no SSE
   * framing, stream, priming or keep-alive timer, and `onEnded` runs at once;
   * it leaves the object as a JsonAnswer (platform/durable-objects.ts).
   * Anything else first (progress, a relayed message or request, a shed, a
   * resume, the end without a result, or the window passing): the SSE stream
   * of `readable`, written from then on as before. A 2025-era client's
   * disconnect is not a cancellation (it sends notifications/cancelled,
   * which still reaches the call through the relay), so a JSON answer loses
   * nothing the stream's `onCancel` gave.
   */
  answer(primed: boolean, onCancel?: () => void, onEnded?: () => void): Promise<SessionAnswer> {
    return new Promise((resolve) => {
      this.pendingAnswer = {
        primed,
        onCancel,
        onEnded,
        resolve,
        commitAt: Date.now() + JSON_ANSWER_WINDOW_MS,
      };
      // Until decided, the client's connection is this placeholder: any write or close makes it a stream.
      this.post = {
        write: (frame) => this.commit()?.write?.(frame),
        close: () => {
          this.commit();
          this.closePost();
        },
      };
      this.owner.undecided(this);
    });
  }

  /** @internal Whether an undecided answer's window has passed. */
  commitDue(now: number): boolean {
    return this.pendingAnswer !== null && now >= this.pendingAnswer.commitAt;
  }

  /** @internal Makes an undecided answer the SSE stream; returns the client's connection. */
  commit(): Connection | null {
    const pending = this.pendingAnswer;
    if (!pending) return this.connection;
    this.pendingAnswer = null;
    this.post = null;
    this.owner.decided(this);
    // `start` runs now: the stream's connection is `post` from here on.
    const body = this.readable(pending.primed, pending.onCancel, pending.onEnded);
    this.keepAlive = setInterval(() => this.comment("keepalive"), KEEP_ALIVE_MS);
    pending.resolve(new Response(body, { status: 200, headers: SSE_HEADERS }));
    return this.connection;
  }

  /** The undecided answer's result as one JSON body, when `message` answers the POST's only request. */
  private answerAsJson(message: JSONRPCMessage): boolean {
    const undecided = this.pendingAnswer;
    const answered = answerId(message);
    if (!undecided || this.resumed || answered === undefined) return false;
    if (this.pending.size !== 1 || !this.pending.delete(answered)) return false;
    this.pendingAnswer = null;
    this.post = null;
    this.owner.decided(this);
    undecided.resolve({ status: 200, json: JSON.stringify(message) });
    this.finish();
    undecided.onEnded?.();
    return true;
  }

  /**
   * The POST's answer when the gateway writes the stream itself (the direct
   * path): the priming event first when the client's revision allows an
   * empty-data event (`primed`), then what `send` is given. `onEnded` runs
   * once when the answer ends: closed (answered, shed, or replaced by a
   * resume; what was written is still delivered) or cancelled by the client,
   * before `onCancel`. It spares the caller a second stream that watches
   * this one for its end.
   */
  readable(primed: boolean, onCancel?: () => void, onEnded?: () => void): ReadableStream<Uint8Array> {
    let post: Connection | null = null;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      onEnded?.();
    };
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        const connection = controllerConnection(controller);
        post = {
          write: connection.write,
          close: () => {
            connection.close();
            end();
          },
        };
        this.post = post;
        if (!primed) return;
        this.primed = true;
        const id = this.owner.nextId(this.no);
        controller.enqueue(encoder.encode(`id: ${id}\nretry: ${SESSION_STREAM_RETRY_MS}\ndata: \n\n`));
      },
      cancel: () => {
        // The client went away (not a shed): the serving ends, as when the SDK's stream is cancelled.
        if (this.post === post) this.post = null;
        end();
        onCancel?.();
      },
    });
  }

  /** An SSE comment on the client's connection (keep-alive); never kept. */
  comment(text: string): void {
    this.connection?.write?.(`: ${text}\n\n`);
  }

  /** A message on the stream (direct path): written to the client's connection, or kept while it has none. */
  send(message: JSONRPCMessage): void {
    this.store(message);
  }

  /** Closes the POST's own answer (direct path, once its last message is sent). */
  closePost(): void {
    this.stopKeepAlive();
    const post = this.post;
    this.post = null;
    post?.close();
  }

  private stopKeepAlive(): void {
    if (this.keepAlive !== null) clearInterval(this.keepAlive);
    this.keepAlive = null;
  }

  private store(message: JSONRPCMessage): string {
    if (this.pendingAnswer && this.answerAsJson(message)) return "";
    const id = this.owner.nextId(this.no);
    const frame = `event: message\nid: ${id}\ndata: ${JSON.stringify(message)}\n\n`;
    const connection = this.connection;
    if (connection) connection.write?.(frame);
    else if (!this.ended && !this.forgotten) this.keep(id, frame);
    const answered = answerId(message);
    if (answered !== undefined && this.pending.delete(answered) && this.complete) this.finish();
    return id;
  }

  private keep(id: string, frame: string): void {
    this.kept.push({ seq: positionOf(id)?.seq ?? 0, frame });
    this.keptBytes += frame.length;
    this.owner.kept(this, frame.length);
  }

  /** The last request is answered: a resuming GET ends here (the POST's own answer is ended by its writer). */
  private finish(): void {
    this.settle();
    const resumed = this.resumed;
    this.resumed = null;
    resumed?.close();
    // Delivered on a connection: nothing to keep. Otherwise the answer waits for the client's resume.
    if (resumed || this.post) this.owner.forget(this);
  }

  /**
   * Closes the client's connection to this stream before the answer, when the
   * client can resume it (a primed stream): the call goes on here. `reconnect`
   * (an upstream reconnection the gateway holds back) runs as soon as the
   * client resumes. False when the stream cannot be shed.
   */
  detach(reconnect?: () => void): boolean {
    // An undecided answer that can be resumed becomes its stream first (primed), then is shed.
    if (this.pendingAnswer?.primed) this.commit();
    if (!this.primed || this.complete || this.ended) return false;
    if (reconnect) this.reconnects.push(reconnect);
    this.shed = true;
    const connection = this.connection;
    if (this.resumed) this.resumed = null;
    else this.post = null;
    if (connection) {
      this.owner.detached(this);
      connection.close();
    }
    return true;
  }

  /** GET with Last-Event-ID `after`: what was kept after it, then the stream live until its answer. */
  resume(after: number): Response {
    // One connection per stream: a resume replaces the previous one (the client has given up on it).
    const previous = this.connection;
    if (this.post) this.shed = true;
    this.post = null;
    this.resumed = null;
    previous?.close();
    let connection: Connection | null = null;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        for (const event of this.kept) {
          if (event.seq > after) controller.enqueue(encoder.encode(event.frame));
        }
        this.owner.released(this.keptBytes);
        this.kept = [];
        this.keptBytes = 0;
        if (this.complete || this.ended) {
          controller.close();
          this.owner.forget(this);
          return;
        }
        connection = controllerConnection(controller);
        this.resumed = connection;
        this.owner.attached(this);
      },
      cancel: () => {
        // The client left again: the stream waits for the next resume.
        if (connection === null || this.resumed !== connection) return;
        this.resumed = null;
        if (!this.complete && !this.ended) this.owner.detached(this);
      },
    });
    for (const reconnect of this.reconnects.splice(0)) reconnect();
    return new Response(body, { status: 200, headers: SSE_HEADERS });
  }

  /**
   * The POST's answer ended (complete, shed, or dropped by the client).
   * Resolves when the serving may end: at once, unless the gateway shed the
   * stream and its call goes on (then once it is answered).
   */
  postEnded(): Promise<void> {
    this.post = null;
    return this.complete || !this.shed ? Promise.resolve() : this.settled;
  }

  /** The serving ended (the SDK server closed, or the direct call returned): nothing more will come. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stopKeepAlive();
    this.settle();
    for (const reconnect of this.reconnects.splice(0)) reconnect();
    const resumed = this.resumed;
    this.resumed = null;
    resumed?.close();
    // An answer kept for a client that has not resumed yet stays until it does (or is evicted).
    if (this.kept.length === 0) this.owner.forget(this);
  }

  /** Drops what is kept and closes the client's connection (evicted, or the session ended); the bytes dropped. */
  drop(): number {
    this.forgotten = true;
    const bytes = this.keptBytes;
    this.kept = [];
    this.keptBytes = 0;
    const resumed = this.resumed;
    this.resumed = null;
    resumed?.close();
    return bytes;
  }
}

function controllerConnection(controller: ReadableStreamDefaultController<Uint8Array>): Connection {
  return {
    write: (frame) => controller.enqueue(encoder.encode(frame)),
    close: () => {
      try {
        controller.close();
      } catch {
        // Already closed, or cancelled by the client.
      }
    },
  };
}

/** The resumable streams of one session (one instance per McpSession object instance). */
export class SessionStreams {
  /** Distinguishes this instance's event ids from those of an instance before an eviction. */
  private readonly epoch = randomEpoch();
  private nextStream = 0;
  private sequence = 0;
  private readonly streams = new Map<number, SessionStream>();
  /** Request id (JSON) -> the stream answering it. */
  private readonly byRequest = new Map<string, SessionStream>();
  /** Streams without a connection, oldest first (Map keeps insertion order). */
  private readonly waiting = new Map<number, SessionStream>();
  private keptBytes = 0;
  /** Direct-path answers not decided yet (JSON or SSE), watched by one ticker while there are any. */
  private readonly undecidedAnswers = new Set<SessionStream>();
  private ticker: ReturnType<typeof setInterval> | null = null;

  /** The stream of a POST whose requests are `ids`. */
  open(ids: JsonRpcId[]): SessionStream {
    this.nextStream += 1;
    const stream = new SessionStream(
      this,
      this.nextStream,
      ids.map((id) => JSON.stringify(id)),
    );
    this.streams.set(stream.no, stream);
    for (const id of stream.requestIds) this.byRequest.set(id, stream);
    return stream;
  }

  /**
   * The upstream of request `id` closed its stream before the answer
   * (polling): the client's stream is closed too, when it can resume, and
   * the upstream reconnection `reconnect` runs when the client comes back
   * (or earlier, at the upstream's own pace). False when the client's
   * stream stays open.
   */
  shed(id: JsonRpcId, reconnect?: () => void): boolean {
    return this.byRequest.get(JSON.stringify(id))?.detach(reconnect) ?? false;
  }

  /** A GET with `Last-Event-ID`: the stream's continuation, or null when the id names nothing kept here. */
  resume(lastEventId: string): Response | null {
    const position = positionOf(lastEventId);
    if (!position || position.epoch !== this.epoch) return null;
    const stream = this.streams.get(position.stream);
    if (!stream) return null;
    return stream.resume(position.seq);
  }

  /** Ends every stream (the session ended). */
  clear(): void {
    for (const stream of this.streams.values()) {
      stream.drop();
      stream.end();
    }
    this.streams.clear();
    this.byRequest.clear();
    this.waiting.clear();
    this.keptBytes = 0;
  }

  /** @internal `stream`'s answer waits to be decided (SessionStream.answer). */
  undecided(stream: SessionStream): void {
    this.undecidedAnswers.add(stream);
    this.ticker ??= setInterval(() => this.tick(), WINDOW_TICK_MS);
  }

  /** @internal `stream`'s answer is decided. */
  decided(stream: SessionStream): void {
    this.undecidedAnswers.delete(stream);
  }

  /** Commits answers whose window passed; the ticker stops at its first tick with nothing to watch. */
  private tick(): void {
    if (this.undecidedAnswers.size === 0) {
      if (this.ticker !== null) clearInterval(this.ticker);
      this.ticker = null;
      return;
    }
    const now = Date.now();
    for (const stream of this.undecidedAnswers) {
      if (stream.commitDue(now)) stream.commit();
    }
  }

  /** @internal The next event id of stream `no`. */
  nextId(no: number): string {
    this.sequence += 1;
    return `${this.epoch}.${no}.${this.sequence}`;
  }

  /** @internal `stream` lost its connection. */
  detached(stream: SessionStream): void {
    if (this.streams.get(stream.no) !== stream) return;
    this.waiting.delete(stream.no);
    this.waiting.set(stream.no, stream);
    this.evict(stream);
  }

  /** @internal `stream` has a connection again. */
  attached(stream: SessionStream): void {
    this.waiting.delete(stream.no);
  }

  /** @internal `stream` kept `bytes` more. */
  kept(stream: SessionStream, bytes: number): void {
    if (this.streams.get(stream.no) !== stream) return;
    if (!this.waiting.has(stream.no)) this.waiting.set(stream.no, stream);
    this.keptBytes += bytes;
    this.evict(stream);
  }

  /** @internal `bytes` of kept events went to a resume. */
  released(bytes: number): void {
    this.keptBytes -= bytes;
  }

  /** @internal `stream` needs nothing kept any more. */
  forget(stream: SessionStream): void {
    if (this.streams.get(stream.no) !== stream) return;
    this.waiting.delete(stream.no);
    this.keptBytes -= stream.drop();
    this.streams.delete(stream.no);
    for (const id of stream.requestIds) {
      if (this.byRequest.get(id) === stream) this.byRequest.delete(id);
    }
  }

  /** Forgets the oldest waiting streams (never `current` unless it alone is over the limit) while over the bounds. */
  private evict(current: SessionStream): void {
    while (this.waiting.size > MAX_DETACHED_STREAMS || this.keptBytes > MAX_KEPT_BYTES) {
      const oldest = [...this.waiting.values()].find((stream) => stream !== current) ?? current;
      this.forget(oldest);
      if (oldest === current) return;
    }
  }
}

/** The id of a JSON-RPC answer (as JSON), or undefined for requests and notifications. */
function answerId(message: JSONRPCMessage): string | undefined {
  const record = message as { id?: JsonRpcId; method?: unknown; result?: unknown; error?: unknown };
  if (record.method !== undefined || record.id === undefined) return undefined;
  return record.result !== undefined || record.error !== undefined ? JSON.stringify(record.id) : undefined;
}

function positionOf(id: string): EventPosition | null {
  const match = /^([0-9a-f]{12})\.(\d+)\.(\d+)$/.exec(id);
  if (!match) return null;
  return { epoch: match[1] as string, stream: Number(match[2]), seq: Number(match[3]) };
}

function randomEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
