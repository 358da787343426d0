// One upstream `tools/call` without an SDK client: the steady state of a
// plain call (no progress; no relay, or a client session's relay) to a
// Streamable HTTP upstream whose generation is already known: a 2026-07-28
// upstream (the isolate's verdict) or a session-based one with a pooled or
// the client session's upstream session to resume. A relay's client
// capabilities go in the 2026-07-28 envelope as the SDK client declares them;
// what a relay carries (server-to-client messages) never makes a plain answer,
// so it reaches the relay through the SDK conversation it is handed over to.
// It sends exactly the POST the SDK client would send (same body, ids and
// headers) and reads the answer itself only when the answer is plain: HTTP
// 200, `application/json` or an SSE stream of one event (after optional
// priming events, sse-answer.ts), one JSON-RPC response to this request whose
// result certainly passes the SDK's checks (or a well-formed error). Any
// other answer (other SSE events, a server-to-client request, a redirect, an
// HTTP error, a failed fetch, a result the SDK might refuse) is handed over
// untouched to an SDK conversation that believes it sent the request itself:
// its first POST is answered with what the upstream already said, so the SDK
// classifies, follows or fails it exactly as on the full path, and the
// request is never sent twice.
// Measured: the SDK client, its transport and its schema checks per call were
// the largest CPU item left on a stateless /mcp call (docs/architecture.md).
import { ProtocolError, SdkError, SdkErrorCode } from "@modelcontextprotocol/client";
import { deadline } from "../platform/deadline.ts";
import { mediaTypeOf } from "../protocol/media-type.ts";
import { isPlainObject, isPlainToolResult } from "../protocol/tool-results.ts";
import { BETWEEN_DOCUMENTS } from "./lenient-results.ts";
import { readSseAnswer } from "./sse-answer.ts";
import {
  CLIENT_INFO,
  CLOSE_BUDGET_MS,
  type Negotiation,
  nextIdBase,
  type UpstreamConnection,
  type UpstreamSession,
} from "./upstream-client.ts";

type Fields = Record<string, unknown>;
type Fetch = typeof globalThis.fetch;

/** How the direct request reaches the upstream: its generation and the ids the SDK would use. */
export type DirectRoute =
  | { era: "modern"; version: string }
  | { era: "session"; session: UpstreamSession; idBase: number };

export interface DirectRequest {
  method: string;
  params: Fields;
}

/**
 * The modern revisions the SDK client negotiates, in its order of preference
 * (its SUPPORTED_MODERN_PROTOCOL_VERSIONS, which it does not export;
 * SUPPORTED_PROTOCOL_VERSIONS lists the 2025-era ones only).
 */
const MODERN_VERSIONS = ["2026-07-28"];
const ENVELOPE_KEYS = {
  protocolVersion: "io.modelcontextprotocol/protocolVersion",
  clientInfo: "io.modelcontextprotocol/clientInfo",
  clientCapabilities: "io.modelcontextprotocol/clientCapabilities",
} as const;
const BASE64_SENTINEL = "=?base64?";
/** A header value the SDK sends as is (no base64 form): printable ASCII, no surrounding blanks. */
const PLAIN_HEADER_VALUE = /^[!-~](?:[\t -~]*[!-~])?$/;

/**
 * The direct route for `request`, or null when the SDK must hold the
 * conversation (a handshake or probe is due, another method, a name the SDK
 * would send base64-encoded).
 */
export function directRoute(
  request: DirectRequest,
  negotiation: Negotiation,
  resume: UpstreamSession | undefined,
): DirectRoute | null {
  const name = request.params.name;
  if (request.method !== "tools/call" || typeof name !== "string") return null;
  if (!PLAIN_HEADER_VALUE.test(name) || name.startsWith(BASE64_SENTINEL)) return null;
  // The SDK skips `initialize` when resuming: its first POST is the call, in its own id range.
  if (resume) return { era: "session", session: resume, idBase: nextIdBase() };
  if (typeof negotiation !== "object" || negotiation.kind !== "modern") return null;
  const offered = negotiation.discover.supportedVersions;
  const version = MODERN_VERSIONS.find((candidate) => offered.includes(candidate));
  return version ? { era: "modern", version } : null;
}

/** What `close` returns when there is nothing to end: the caller need not defer it (upstream-call.ts). */
export const NOTHING_TO_CLOSE: Promise<void> = Promise.resolve();

/** The SDK transport's Accept when the egress headers ask for nothing of their own. */
const SDK_ACCEPT = "application/json, text/event-stream";

/** Direct calls answered in place and handed over to the SDK, per isolate (tests, inventory). */
export const directCalls = { answered: 0, handedOver: 0 };

export interface DirectOptions {
  /** The deadline or the caller's cancellation. */
  signal: AbortSignal;
  /** The fetch the SDK conversation would use (traced, egress-guarded). */
  fetch: Fetch;
  /** Builds the SDK conversation an unusual answer is handed over to; its fetch replays that answer first. */
  handover: (replaying: Fetch) => UpstreamConnection;
  /**
   * The client capabilities the SDK conversation declares (a relay's,
   * upstream-relay.ts): a 2026-07-28 request carries them in its envelope; a
   * resumed session declared them at its `initialize`.
   */
  capabilities?: Fields;
}

/** What upstream-call.ts reads of a conversation; an SDK UpstreamConnection has the same shape. */
export interface ObservedFacts {
  readonly lastPostStatus: number | undefined;
  readonly failure: string | undefined;
  readonly connectionFailed: boolean;
}

/** One direct call; behaves as an UpstreamConnection does for callUpstream (upstream-call.ts). */
export class DirectConversation {
  #status: number | undefined;
  #sdk: UpstreamConnection | null = null;
  #cancelled: { id: number; reason: string } | null = null;

  private readonly target: { url: string; headers: Record<string, string> };
  private readonly route: DirectRoute;
  private readonly options: DirectOptions;

  // No parameter properties: Node's type stripping (bench/direct-upstream.bench.ts) does not support them.
  constructor(
    target: { url: string; headers: Record<string, string> },
    route: DirectRoute,
    options: DirectOptions,
  ) {
    this.target = target;
    this.route = route;
    this.options = options;
  }

  get observed(): ObservedFacts {
    if (this.#sdk) return this.#sdk.observed;
    return { lastPostStatus: this.#status, failure: undefined, connectionFailed: false };
  }

  /** Nothing to do: the generation is known and a session, if any, is resumed. */
  async connect(): Promise<void> {}

  /** The verdict was known before the call: nothing new to remember. */
  verdict(): null {
    return null;
  }

  session(): UpstreamSession | null {
    if (this.#sdk) return this.#sdk.session();
    return this.route.era === "session" ? this.route.session : null;
  }

  async request(request: DirectRequest, options: { signal: AbortSignal; timeout: number }): Promise<Fields> {
    const id = this.route.era === "session" ? this.route.idBase : 0;
    const { signal } = this.options;
    let response: Response;
    try {
      response = await this.options.fetch(this.target.url, {
        method: "POST",
        headers: this.headersFor(request),
        body: JSON.stringify(this.messageFor(request, id)),
        signal,
        // As the SDK's fetch: a redirect is the SDK's to follow or refuse (handed over below).
        redirect: "manual",
      });
    } catch (error) {
      if (signal.aborted) throw this.cancelled(id);
      return this.handOver(() => Promise.reject(error), request, options);
    }
    this.#status = response.status;
    const essence = mediaTypeOf(response.headers.get("content-type"));
    if (response.status === 200 && essence === "text/event-stream" && response.body !== null) {
      return this.streamed(response, id, request, options);
    }
    if (response.status !== 200 || essence !== "application/json" || response.body === null) {
      if (signal.aborted) {
        response.body?.cancel().catch(() => {});
        throw this.cancelled(id);
      }
      return this.handOver(() => Promise.resolve(response), request, options);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw this.cancelled(id);
      return this.handOver(() => Promise.resolve(failingBody(response, error)), request, options);
    }
    if (signal.aborted) throw this.cancelled(id);
    const answer = BETWEEN_DOCUMENTS.test(text) ? null : plainAnswer(text, id, this.route.era);
    if (answer === null) {
      return this.handOver(() => Promise.resolve(sameAnswer(response, text)), request, options);
    }
    directCalls.answered += 1;
    if ("error" in answer) throw answer.error;
    return answer.result;
  }

  /**
   * Ends the conversation. A session-based upstream whose call was cancelled
   * hears `notifications/cancelled` first (the SDK sends it when the caller
   * gives up); with `terminate` its session is ended (DELETE).
   */
  close(terminate: boolean): Promise<void> {
    if (this.#sdk) return this.#sdk.close(terminate);
    if (this.route.era !== "session" || (!terminate && !this.#cancelled)) return NOTHING_TO_CLOSE;
    return this.ending(terminate);
  }

  private async ending(terminate: boolean): Promise<void> {
    const headers = new Headers(this.sessionHeaders());
    const budget = deadline(CLOSE_BUDGET_MS);
    const send = (init: RequestInit) =>
      this.options
        .fetch(this.target.url, { ...init, signal: budget.signal, redirect: "manual" })
        .then(drain, () => {});
    try {
      if (this.#cancelled) {
        const { id, reason } = this.#cancelled;
        const message = {
          jsonrpc: "2.0",
          method: "notifications/cancelled",
          params: { requestId: id, reason },
        };
        headers.set("content-type", "application/json");
        headers.set("accept", acceptOf(headers.get("accept")));
        await send({ method: "POST", headers, body: JSON.stringify(message) });
        headers.delete("content-type");
        headers.delete("accept");
      }
      if (terminate) await send({ method: "DELETE", headers });
    } finally {
      budget.clear();
    }
  }

  /** An SSE answer: read in place when it is plain (sse-answer.ts), else handed over as it streams. */
  private async streamed(
    response: Response,
    id: number,
    request: DirectRequest,
    options: { signal: AbortSignal; timeout: number },
  ): Promise<Fields> {
    const era = this.route.era;
    const reading = await readSseAnswer(response, (data) =>
      BETWEEN_DOCUMENTS.test(data) ? null : plainAnswer(data, id, era),
    );
    if (this.options.signal.aborted) {
      if ("replay" in reading) reading.replay.body?.cancel().catch(() => {});
      throw this.cancelled(id);
    }
    if ("replay" in reading) return this.handOver(() => Promise.resolve(reading.replay), request, options);
    directCalls.answered += 1;
    if ("error" in reading.answer) throw reading.answer.error;
    return reading.answer.result;
  }

  /** The SDK conversation takes over; its first POST gets the upstream's answer to ours. */
  private async handOver(
    answer: () => Promise<Response>,
    request: DirectRequest,
    options: { signal: AbortSignal; timeout: number },
  ): Promise<Fields> {
    let pending: (() => Promise<Response>) | null = answer;
    const replaying: Fetch = (input, init) => {
      const first = pending;
      if (first && (init?.method ?? "GET").toUpperCase() === "POST") {
        pending = null;
        return first();
      }
      return this.options.fetch(input, init);
    };
    directCalls.handedOver += 1;
    const sdk = this.options.handover(replaying);
    this.#sdk = sdk;
    await sdk.connect(options);
    return sdk.request(request, options);
  }

  /** As the SDK rejects a request its caller gave up on. */
  private cancelled(id: number): Error {
    const reason = this.options.signal.reason;
    this.#cancelled = { id, reason: String(reason) };
    return reason instanceof SdkError ? reason : new SdkError(SdkErrorCode.RequestTimeout, String(reason));
  }

  /** The JSON-RPC request as the SDK client serializes it (key order included). */
  private messageFor(request: DirectRequest, id: number): Fields {
    if (this.route.era === "session")
      return { method: request.method, params: request.params, jsonrpc: "2.0", id };
    const params = request.params;
    const envelope = {
      [ENVELOPE_KEYS.protocolVersion]: this.route.version,
      [ENVELOPE_KEYS.clientInfo]: CLIENT_INFO,
      [ENVELOPE_KEYS.clientCapabilities]: this.options.capabilities ?? {},
      ...(params._meta as Fields | undefined),
    };
    return { method: request.method, params: { ...params, _meta: envelope }, jsonrpc: "2.0", id };
  }

  /**
   * The SDK transport's headers for this POST, as one plain record that
   * fetch reads once (no Headers object built and set five times over).
   */
  private headersFor(request: DirectRequest): Record<string, string> {
    const headers = this.sessionHeaders();
    if (this.route.era === "modern") {
      headers["mcp-method"] = request.method;
      headers["mcp-name"] = String(request.params.name);
    }
    headers["content-type"] = "application/json";
    headers.accept = acceptOf(headers.accept);
    return headers;
  }

  private sessionHeaders(): Record<string, string> {
    const headers: Record<string, string> = {};
    const egress = this.target.headers;
    // Lower case, so that a later name replaces an egress one as `Headers.set` would (never sits beside it).
    for (const name in egress) headers[name.toLowerCase()] = egress[name] as string;
    if (this.route.era === "session") {
      headers["mcp-session-id"] = this.route.session.sessionId;
      headers["mcp-protocol-version"] = this.route.session.protocolVersion;
    } else {
      headers["mcp-protocol-version"] = this.route.version;
    }
    return headers;
  }
}

/** The SDK transport's Accept: what the egress headers ask for (`asked`), plus JSON and SSE. */
function acceptOf(asked: string | null | undefined): string {
  if (asked == null) return SDK_ACCEPT;
  const types = asked.split(",").map((type) => type.trim().toLowerCase());
  return [...new Set([...types, "application/json", "text/event-stream"])].join(", ");
}

type PlainAnswer = { result: Fields } | { error: ProtocolError };

/**
 * The answer when it is one JSON-RPC response to request `id` that the SDK
 * would take exactly as it is: a result (a 2026-07-28 one certainly passing
 * the SDK's tools/call result schema) or a well-formed error. Null otherwise.
 */
function plainAnswer(text: string, id: number, era: DirectRoute["era"]): PlainAnswer | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isPlainObject(message) || message.jsonrpc !== "2.0" || message.id !== id) return null;
  let keys = 0;
  for (const _key in message) keys += 1;
  if (keys !== 3) return null;
  if ("error" in message) {
    const error = message.error;
    if (!isPlainObject(error) || !Number.isInteger(error.code) || typeof error.message !== "string")
      return null;
    if (Object.keys(error).some((key) => key !== "code" && key !== "message" && key !== "data")) return null;
    return { error: ProtocolError.fromError(error.code as number, error.message, error.data) };
  }
  const result = message.result;
  if (!isPlainObject(result) || (result._meta !== undefined && !isPlainObject(result._meta))) return null;
  if (era === "modern" && !isPlainToolResult(result)) return null;
  // The SDK reads an absent resultType as complete (lenient-results.ts) and hands back the rest.
  const { resultType: _resultType, ...rest } = result;
  return { result: rest };
}

/** The answer as the upstream sent it, its body already read. */
function sameAnswer(response: Response, text: string): Response {
  // The body is decoded now: its length and encoding headers no longer describe it.
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete("content-encoding");
  return new Response(text, { status: response.status, statusText: response.statusText, headers });
}

/** The answer whose body failed while read: the SDK's read fails the same way. */
function failingBody(response: Response, error: unknown): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(error);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

async function drain(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => {});
}
