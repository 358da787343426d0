// One error type for everything the gateway refuses or fails at. It carries a
// public part (status, problem type, title, detail, field errors) that is safe
// to send, and an internal part that only goes to logs with the request id.

export interface FieldError {
  /** Dotted path of the offending field, e.g. `endpoints.0.url`; "" for the body itself. */
  field: string;
  message: string;
  /** 1-based line in a submitted text document (YAML), when known. */
  line?: number;
}

export type ProblemKind =
  | "validation"
  | "malformed-body"
  | "unsupported-media-type"
  | "unauthorized"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "precondition-failed"
  | "payload-too-large"
  | "too-many-requests"
  | "upstream"
  | "unavailable"
  | "internal";

const TITLES: Record<ProblemKind, { status: number; title: string }> = {
  validation: { status: 422, title: "The request has invalid fields" },
  "malformed-body": { status: 400, title: "The request body is not valid JSON" },
  "unsupported-media-type": { status: 415, title: "The request body must be JSON" },
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Not allowed" },
  "not-found": { status: 404, title: "Not found" },
  conflict: { status: 409, title: "Conflict" },
  "precondition-failed": { status: 412, title: "The resource has changed" },
  "payload-too-large": { status: 413, title: "The request body is too large" },
  "too-many-requests": { status: 429, title: "Too many requests" },
  upstream: { status: 502, title: "The upstream server failed" },
  unavailable: { status: 503, title: "Not available on this gateway" },
  internal: { status: 500, title: "Internal error" },
};

export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly kind: ProblemKind;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[];
  /** Never sent to clients. */
  readonly internal: string | undefined;
  /** Public reason class (e.g. an access decision's `tool_not_granted`), sent as `reason`. */
  readonly reason: string | undefined;
  /** Extra response headers, e.g. `WWW-Authenticate` on 401/403. */
  readonly headers: Record<string, string>;

  constructor(
    kind: ProblemKind,
    options: {
      detail?: string;
      errors?: FieldError[];
      internal?: string;
      status?: number;
      reason?: string;
      headers?: Record<string, string>;
    } = {},
  ) {
    super(options.detail ?? TITLES[kind].title);
    this.kind = kind;
    this.status = options.status ?? TITLES[kind].status;
    this.title = TITLES[kind].title;
    this.detail = options.detail;
    this.errors = options.errors ?? [];
    this.internal = options.internal;
    this.reason = options.reason;
    this.headers = options.headers ?? {};
  }
}

export function problemType(kind: ProblemKind): string {
  return `urn:mcp-gateway:problem:${kind}`;
}

/** A missing or invalid setting: every request fails with a 500 whose log line names the setting. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}
