// One MCP client conversation with an upstream server, from inside the Worker:
// the transport (Streamable HTTP or legacy SSE), the SDK client with the
// Cloudflare JSON-schema validator, the handshake in the upstream's own
// protocol generation, an optional resumed upstream session, and closing.
// Shared by the catalog reader (registration, refresh) and the call path of
// the aggregated endpoint, so both connect the same way.

import {
  Client,
  type JSONRPCMessage,
  type PriorDiscovery,
  type ReconnectionScheduler,
  type RequestOptions,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { z } from "zod";
import { deadline, untilAborted } from "../platform/deadline.ts";
import { defaultingResultType, readingJsonLines } from "./lenient-results.ts";
import { mapMessages } from "./message-mapping.ts";
import { ObservedFetch } from "./upstream-failure.ts";
import { attachRelay, type UpstreamRelay } from "./upstream-relay.ts";

export type UpstreamTransport = "streamable-http" | "sse";

export interface UpstreamTarget {
  url: string;
  transport: UpstreamTransport;
  /** Extra request headers (egress credentials). */
  headers?: Record<string, string>;
}

/** A session a session-based upstream handed out, kept to be resumed by a later conversation. */
export interface UpstreamSession {
  sessionId: string;
  protocolVersion: string;
}

/**
 * How to pick the protocol generation:
 * - `legacy`: the plain 2025 `initialize` handshake (every session-based server understands it);
 * - `auto`: probe with `server/discover` and fall back to `initialize`;
 * - a `PriorDiscovery`: a verdict learnt earlier, applied without a probe.
 */
export type Negotiation = "legacy" | "auto" | PriorDiscovery;

export interface UpstreamConnectionOptions {
  /** Bounds every request of the conversation (deadline, caller cancellation). */
  signal: AbortSignal;
  /** Defaults to the global fetch. Called as a plain function, so bind a service binding's `fetch` first. */
  fetch?: typeof fetch;
  negotiation?: Negotiation;
  /** Resume this upstream session instead of initializing a new one (Streamable HTTP only). */
  resume?: UpstreamSession;
  /** Bridges the upstream's own requests and notifications to the gateway's caller (upstream-relay.ts). */
  relay?: UpstreamRelay;
  /** A resumed conversation's id base (`nextIdBase()`), when its first request was already sent for it (direct-exchange.ts). */
  idBase?: number;
}

// Loose: the result stays exactly as the upstream sent it; the gateway's own
// server validates what it finally returns.
const AnyResult = z.looseObject({});

/** Closing (Streamable HTTP session DELETE) gets this much time. */
export const CLOSE_BUDGET_MS = 1_000;

export const CLIENT_INFO = { name: "mcp-gateway", version: "0.1.0" };

// A conversation of the gateway never needs the standalone stream's reconnection, but a
// call's POST stream that the upstream closes before its answer (SEP-1699 polling, after a
// priming event) is resumed with Last-Event-ID, at the upstream's `retry` pace.
const POST_STREAM_RECONNECT = {
  maxRetries: 2,
  initialReconnectionDelay: 1_000,
  maxReconnectionDelay: 1_000,
  reconnectionDelayGrowFactor: 1,
};

/** Why an upstream URL cannot be used, or null when it can. */
export function upstreamUrlProblem(raw: string): string | null {
  const url = URL.parse(raw);
  if (url === null) return "invalid upstream URL";
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `unsupported URL scheme ${url.protocol.replace(/:$/, "")}`;
  }
  return null;
}

export class UpstreamConnection {
  readonly client: Client;
  readonly transport: Transport;
  /** Notes transport-level facts (unreachable host, HTTP status) for error messages. */
  readonly observed: ObservedFetch;
  private readonly negotiation: Negotiation;
  private readonly resumed: boolean;

  constructor(target: UpstreamTarget, options: UpstreamConnectionOptions) {
    const problem = upstreamUrlProblem(target.url);
    if (problem !== null) throw new RangeError(problem);
    this.observed = new ObservedFetch(options.fetch ?? fetch, options.signal);
    this.resumed = options.resume !== undefined && target.transport === "streamable-http";
    // Legacy HTTP+SSE predates server/discover: always the 2025 handshake.
    this.negotiation = target.transport === "sse" ? "legacy" : (options.negotiation ?? "legacy");
    // Newline-delimited JSON messages in one application/json answer are read as the stream they mean.
    const created = createTransport(
      target,
      readingJsonLines(this.observed.fetch),
      this.resumed ? options.resume : undefined,
      options.relay?.polling,
    );
    // Conversations resuming one upstream session may run at the same time: each gets its own ids.
    const transport = this.resumed ? ownRequestIds(created, options.idBase ?? nextIdBase()) : created;
    // Upstreams that omit the 2026 `resultType` are still understood (lenient-results.ts).
    this.transport = defaultingResultType(transport);
    this.client = new Client(CLIENT_INFO, {
      capabilities: options.relay?.capabilities ?? {},
      // Ajv compiles schemas to code, which workerd forbids; this validator interprets them.
      jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
      versionNegotiation: { mode: this.negotiation === "auto" ? "auto" : "legacy" },
      // Without a relay the gateway declares no client capabilities, so an upstream has nothing to ask
      // for; with one, a 2026 upstream's input_required result is fulfilled through the relay's handlers.
      inputRequired: { autoFulfill: options.relay !== undefined },
    });
    if (options.relay) attachRelay(this.client, options.relay);
    // Transport hiccups also surface as rejected requests; reporting them twice helps no one.
    this.client.onerror = () => {};
  }

  /** Sends one request and waits for its result (as the upstream sent it; the gateway's own server checks what it returns). */
  request(
    request: { method: string; params: Record<string, unknown> },
    options: RequestOptions,
  ): Promise<Record<string, unknown>> {
    return this.client.request(request, AnyResult, options);
  }

  /** Performs the handshake (none when resuming a session or applying a modern verdict). */
  async connect(options: RequestOptions): Promise<void> {
    if (this.resumed) {
      // The SDK skips `initialize` when the transport already carries a session id.
      await this.client.connect(this.transport, { ...options, prior: { kind: "legacy" } });
      return;
    }
    if (typeof this.negotiation === "object") {
      await this.client.connect(this.transport, { ...options, prior: this.negotiation });
      return;
    }
    await this.client.connect(this.transport, options);
  }

  /** The verdict to reuse for this upstream next time (no probe), once connected. */
  verdict(): PriorDiscovery | null {
    if (this.client.getProtocolEra() === "modern") {
      const discover = this.client.getDiscoverResult();
      return discover ? { kind: "modern", discover } : null;
    }
    return this.client.getProtocolEra() === "legacy" ? { kind: "legacy" } : null;
  }

  /** The upstream session this conversation runs in (session-based Streamable HTTP servers only). */
  session(): UpstreamSession | null {
    if (!(this.transport instanceof StreamableHTTPClientTransport)) return null;
    const sessionId = this.transport.sessionId;
    const protocolVersion = this.client.getNegotiatedProtocolVersion() ?? this.transport.protocolVersion;
    if (!sessionId || !protocolVersion) return null;
    return { sessionId, protocolVersion };
  }

  /**
   * Ends the conversation within a short budget, best effort. With `terminate`
   * the upstream session is ended too (DELETE); without it the session stays
   * open upstream so that a later conversation can resume it.
   */
  async close(terminate: boolean): Promise<void> {
    const budget = deadline(CLOSE_BUDGET_MS);
    this.observed.useSignal(budget.signal);
    try {
      if (terminate && this.transport instanceof StreamableHTTPClientTransport && this.transport.sessionId) {
        // A server that refuses (405) or has already forgotten the session needs nothing more from us.
        await untilAborted(this.transport.terminateSession(), budget.signal).catch(() => {});
      }
      await untilAborted(this.client.close(), budget.signal).catch(() => {});
    } finally {
      budget.clear();
    }
  }
}

/**
 * Each SDK client numbers its requests from 0, so two conversations resuming
 * the same upstream session at once (concurrent calls of one client session)
 * would send the same JSON-RPC ids, and the upstream would answer one call on
 * the other's stream. A resumed conversation therefore speaks in its own id
 * range: ids (and the progress tokens and cancellations that name them) are
 * shifted by a per-conversation base on the way out and back on the way in.
 */
const ID_RANGE = 2 ** 20;
const ID_BASES = 2 ** 30;
let idBaseIndex = 1 + Math.floor(Math.random() * (ID_BASES - 1));

/** The id base of the next resumed conversation (its first request's id). */
export function nextIdBase(): number {
  // Bases 1..2^30 times 2^20 stay below 2^53 and above the range a fresh conversation uses.
  const base = idBaseIndex * ID_RANGE;
  idBaseIndex = (idBaseIndex % (ID_BASES - 1)) + 1;
  return base;
}

function ownRequestIds<T extends Transport>(transport: T, base: number): T {
  const out = (id: unknown) => (typeof id === "number" && id >= 0 && id < ID_RANGE ? id + base : id);
  const back = (id: unknown) =>
    typeof id === "number" && id >= base && id < base + ID_RANGE ? id - base : id;
  return mapMessages(transport, {
    outgoing: (message) => outgoing(message, out),
    incoming: (message) => incoming(message, back),
  });
}

type IdMap = (id: unknown) => unknown;
type Fields = Record<string, unknown>;
const asMessage = (fields: Fields) => fields as unknown as JSONRPCMessage;

/** Our requests (and the progress tokens naming them) and our cancellations; answers to the upstream's requests keep its ids. */
function outgoing(message: JSONRPCMessage, map: IdMap): JSONRPCMessage {
  const record = message as Fields;
  const params = record.params as Fields | undefined;
  if (record.method === "notifications/cancelled" && params) {
    return asMessage({ ...record, params: { ...params, requestId: map(params.requestId) } });
  }
  if (typeof record.method !== "string" || !("id" in record)) return message;
  const meta = params?._meta as Fields | undefined;
  if (meta?.progressToken === undefined) return asMessage({ ...record, id: map(record.id) });
  const shifted = { ...params, _meta: { ...meta, progressToken: map(meta.progressToken) } };
  return asMessage({ ...record, id: map(record.id), params: shifted });
}

/** Answers to our requests and progress on them; the upstream's own requests and cancellations keep its ids. */
function incoming(message: JSONRPCMessage, map: IdMap): JSONRPCMessage {
  const record = message as Fields;
  const params = record.params as Fields | undefined;
  if (record.method === "notifications/progress" && params) {
    return asMessage({ ...record, params: { ...params, progressToken: map(params.progressToken) } });
  }
  if (typeof record.method === "string" || !("id" in record)) return message;
  return asMessage({ ...record, id: map(record.id) });
}

function createTransport(
  target: UpstreamTarget,
  fetchFn: ObservedFetch["fetch"],
  resume: UpstreamSession | undefined,
  polling: UpstreamRelay["polling"],
): Transport {
  const url = new URL(target.url);
  const requestInit: RequestInit | undefined = target.headers ? { headers: target.headers } : undefined;
  if (target.transport === "sse") {
    // The SDK's SSE transport runs in workerd: its EventSource is the fetch-based `eventsource` package.
    return new SSEClientTransport(url, { fetch: fetchFn, requestInit });
  }
  return new StreamableHTTPClientTransport(url, {
    fetch: fetchFn,
    requestInit,
    reconnectionOptions: POST_STREAM_RECONNECT,
    ...(polling && { reconnectionScheduler: pollingScheduler(polling) }),
    ...(resume && { sessionId: resume.sessionId, protocolVersion: resume.protocolVersion }),
  });
}

/** Reconnects a closed stream at the upstream's pace, or at once when the relay's caller asks (upstream-relay.ts `polling`). */
function pollingScheduler(polling: NonNullable<UpstreamRelay["polling"]>): ReconnectionScheduler {
  return (reconnect, delay) => {
    let pending = true;
    const now = () => {
      if (!pending) return;
      pending = false;
      clearTimeout(timer);
      reconnect();
    };
    const timer = setTimeout(now, delay);
    polling(now);
    return () => {
      pending = false;
      clearTimeout(timer);
    };
  };
}

/** Ends an upstream session that no conversation holds any more (DELETE), best effort, within `budgetMs`. */
export async function terminateUpstreamSession(
  target: UpstreamTarget,
  session: UpstreamSession,
  options: { budgetMs?: number; fetch?: typeof fetch } = {},
): Promise<void> {
  const base = options.fetch ?? fetch;
  const headers = {
    ...target.headers,
    "mcp-session-id": session.sessionId,
    "mcp-protocol-version": session.protocolVersion,
  };
  const budget = deadline(options.budgetMs ?? CLOSE_BUDGET_MS);
  try {
    const response = await base(target.url, { method: "DELETE", headers, signal: budget.signal });
    await response.body?.cancel();
  } catch {
    // The upstream expires idle sessions on its own.
  } finally {
    budget.clear();
  }
}
