// The REST client of the CLI: /api/v1 over fetch, bearer token in the
// Authorization header, problem+json errors as ProblemError (their field
// errors kept for display).
import type { Problem } from "../dashboard/src/api-types.ts";
import { CliError } from "./command.ts";

export class ProblemError extends Error {
  override readonly name = "ProblemError";
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.problem = problem;
  }

  get status(): number {
    return this.problem.status;
  }

  /** The gateway has no such route (an older gateway), as opposed to "no such server". */
  get noSuchRoute(): boolean {
    return this.problem.status === 404 && this.problem.detail === "No such route";
  }
}

export interface RequestOptions {
  method?: string;
  json?: unknown;
  body?: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  /** Return the Response instead of parsing JSON (YAML exports). */
  raw?: boolean;
}

export class GatewayClient {
  /** `gateway` is the origin, e.g. http://127.0.0.1:8787 (no trailing slash). */
  readonly gateway: string;
  private readonly token: string | null;

  constructor(gateway: string, token: string | null) {
    this.gateway = gateway;
    this.token = token;
  }

  get hasToken(): boolean {
    return this.token !== null;
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  async text(path: string, options: RequestOptions = {}): Promise<string> {
    return (await this.send(path, options)).text();
  }

  /** The response body as it arrives (large exports are never held whole). */
  async stream(path: string, options: RequestOptions = {}): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send(path, options);
    if (!response.body) throw new CliError("the gateway sent an empty body");
    return response.body;
  }

  private async send(path: string, options: RequestOptions): Promise<Response> {
    const url = new URL(`${this.gateway}/api/v1${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await fetch(url, { method: options.method ?? "GET", headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        `cannot reach the gateway at ${this.gateway}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
      );
    }
    if (response.ok) return response;
    throw new ProblemError(await problemOf(response));
  }
}

/** The response's problem+json, or one made from the status when the body is something else. */
async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as Partial<Problem>;
    if (typeof parsed.title === "string") return { ...parsed, status: response.status } as Problem;
  } catch {
    /* not JSON */
  }
  return {
    type: "about:blank",
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    ...(text.trim() && { detail: text.trim().slice(0, 300) }),
  };
}
