// Turns whatever went wrong while talking to an upstream MCP server into one
// short reason an admin can read. A fetch wrapper notes transport-level facts
// as they happen (unreachable host, HTTP status, wrong content type), because
// the SDK reports them in shapes that differ per transport; `explainFailure`
// then picks the most telling fact. No stack trace or internal detail escapes.
import { ProtocolError, SdkError, SdkErrorCode } from "@modelcontextprotocol/client";
import { isJsonMediaType, mediaTypeOf } from "../protocol/media-type.ts";
import { cancelNoticeSignal, isCancelNotice } from "./cancel-notice.ts";

type Fetch = typeof fetch;

/** What the reader was doing, for messages: "initialize", "tools/list", ... */
export type Phase = string;

/** Wraps a fetch for one upstream conversation and remembers its first transport-level failure. */
export class ObservedFetch {
  private firstFailure: string | undefined;
  private lastStatus: number | undefined;
  private networkFailure = false;
  private signal: AbortSignal;
  private readonly base: Fetch;

  constructor(base: Fetch, signal: AbortSignal) {
    // Called as a plain function: workerd's fetch throws "Illegal invocation" on any other `this`.
    this.base = (input, init) => base(input, init);
    this.signal = signal;
  }

  /** The first failure seen on the wire, already phrased for an admin. */
  get failure(): string | undefined {
    return this.firstFailure;
  }

  /** A request of this conversation never got an HTTP answer (unreachable host, reset connection). */
  get connectionFailed(): boolean {
    return this.networkFailure;
  }

  /** The HTTP status of the latest answer to a POST, if any arrived. */
  get lastPostStatus(): number | undefined {
    return this.lastStatus;
  }

  /** Requests made from now on are bounded by `signal` (e.g. a short budget for closing). */
  useSignal(signal: AbortSignal): void {
    this.signal = signal;
  }

  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const signal = isCancelNotice(init)
      ? cancelNoticeSignal(init as RequestInit)
      : init?.signal
        ? AbortSignal.any([init.signal, this.signal])
        : this.signal;
    const method = (init?.method ?? "GET").toUpperCase();
    let response: Response;
    try {
      response = await this.base(input, { ...init, signal });
    } catch (error) {
      // An abort is ours (deadline, close); only a real network failure is news.
      if (!signal.aborted) {
        this.networkFailure = true;
        this.note(`connection failed: ${hostOf(input)}: ${brief(messageOf(error))}`);
      }
      throw error;
    }
    if (method === "POST") this.lastStatus = response.status;
    this.inspect(method, response);
    return response;
  };

  private inspect(method: string, response: Response): void {
    // DELETE only ends a session; its answer never decides the outcome.
    if (method === "DELETE") return;
    // 405 on GET is how a Streamable HTTP server says it offers no standalone stream.
    if (method === "GET" && response.status === 405) return;
    if (response.status >= 400) {
      this.note(`upstream answered HTTP ${response.status}`);
      return;
    }
    if (response.status === 202 || response.status === 204 || !response.ok) return;
    const contentType = mediaTypeOf(response.headers.get("content-type"));
    if (contentType !== "" && !isMcpMediaType(contentType)) {
      this.note(`not an MCP server: answered with content-type ${brief(contentType, 60)}`);
    }
  }

  private note(reason: string): void {
    this.firstFailure ??= reason;
  }
}

/**
 * One admin-safe reason for `error`, which ended the conversation during `phase`.
 * Facts seen on the wire win over the SDK's interpretation of them.
 */
export function explainFailure(error: unknown, phase: Phase, observed: string | undefined): string {
  if (observed !== undefined) return observed;
  if (error instanceof ProtocolError) {
    return `upstream returned JSON-RPC error ${error.code} on ${phase}: ${brief(error.message)}`;
  }
  const handshake = phase === "initialize";
  if (isMalformedAnswer(error)) {
    return handshake
      ? "not an MCP server: the answer to initialize is not a JSON-RPC response"
      : `invalid ${phase} result from upstream`;
  }
  if (error instanceof SdkError && error.code === SdkErrorCode.ConnectionClosed) {
    return `upstream closed the connection during ${phase}`;
  }
  const detail = brief(messageOf(error));
  return handshake ? `initialize failed: ${detail}` : `${phase} failed: ${detail}`;
}

/** The first line of `text`, without workerd's internal error references, at most `max` characters. */
export function brief(text: string, max = 200): string {
  const line = (text.split("\n")[0] ?? "")
    .replace(/;\s*reference = \S+/g, "")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point.
    .replace(/[\u0000-\u001f\u007f]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (line === "") return "unknown error";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** The upstream answered, but not with a JSON-RPC message the SDK could read. */
export function isMalformedAnswer(error: unknown): boolean {
  if (error instanceof SyntaxError) return true;
  // The `server/discover` probe (negotiation "auto") wraps what it could not read.
  if (error instanceof SdkError && error.code === SdkErrorCode.EraNegotiationFailed) {
    return error.cause !== undefined && isMalformedAnswer(error.cause);
  }
  if (error instanceof SdkError) {
    return (
      error.code === SdkErrorCode.InvalidResult || error.code === SdkErrorCode.ClientHttpUnexpectedContent
    );
  }
  // The SDK lets zod's validation error through when a message is not JSON-RPC.
  return error instanceof Error && error.name === "ZodError";
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === "string" ? error : "unknown error";
}

function hostOf(input: string | URL | Request): string {
  const href = input instanceof Request ? input.url : String(input);
  try {
    return new URL(href).host;
  } catch {
    return "upstream";
  }
}

function isMcpMediaType(essence: string): boolean {
  return essence === "text/event-stream" || isJsonMediaType(essence);
}
