// Reads a registry that speaks the MCP Registry API: every page of
// GET {url}/v0.1/servers?version=latest, following metadata.nextCursor.
// Bounded in pages and time; anything that is not such a registry is a
// SourceUnreachableError with a reason safe to show.

export interface SourceEntry {
  /** The ServerResponse's `server` (unchecked: the caller validates it). */
  server: unknown;
  /** The ServerResponse's `_meta`, if any. */
  meta: Record<string, unknown>;
}

export class SourceUnreachableError extends Error {
  override readonly name = "SourceUnreachableError";
}

export interface ReadSourceOptions {
  /** Base URL; `/v0.1/servers` is appended. */
  url: string;
  bearerToken: string | null;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Page size asked for; the source may send fewer. */
  pageSize?: number;
  maxPages?: number;
}

const DEFAULT_MAX_PAGES = 200;

export async function readSource(options: ReadSourceOptions): Promise<SourceEntry[]> {
  const doFetch = options.fetch ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const entries: SourceEntry[] = [];
  const seenCursors = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < (options.maxPages ?? DEFAULT_MAX_PAGES); page += 1) {
    const url = new URL(`${options.url.replace(/\/+$/, "")}/v0.1/servers`);
    url.searchParams.set("limit", String(options.pageSize ?? 100));
    url.searchParams.set("version", "latest");
    if (cursor) url.searchParams.set("cursor", cursor);
    const body = await fetchPage(doFetch, url, options.bearerToken, signal);
    for (const item of body.servers) {
      const record = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
      const meta = record._meta;
      entries.push({
        server: record.server,
        meta: typeof meta === "object" && meta !== null ? (meta as Record<string, unknown>) : {},
      });
    }
    cursor = body.nextCursor;
    if (!cursor) return entries;
    // A source that hands out the same cursor twice would loop for ever.
    if (seenCursors.has(cursor)) throw new SourceUnreachableError("the source repeated a page cursor");
    seenCursors.add(cursor);
  }
  throw new SourceUnreachableError(`the source has more than ${options.maxPages ?? DEFAULT_MAX_PAGES} pages`);
}

async function fetchPage(
  doFetch: typeof fetch,
  url: URL,
  bearerToken: string | null,
  signal: AbortSignal,
): Promise<{ servers: unknown[]; nextCursor?: string }> {
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: {
        accept: "application/json",
        ...(bearerToken ? { authorization: `Bearer ${bearerToken}` } : {}),
      },
      signal,
    });
  } catch (error) {
    const reason = signal.aborted ? "timed out" : error instanceof Error ? error.message : String(error);
    throw new SourceUnreachableError(`could not reach ${url.origin}: ${reason}`);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SourceUnreachableError(`${url.pathname} answered HTTP ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new SourceUnreachableError(`${url.pathname} did not answer JSON`);
  }
  const record = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (!Array.isArray(record.servers)) {
    throw new SourceUnreachableError(`${url.pathname} is not an MCP Registry API list (no "servers" array)`);
  }
  const metadata = (record.metadata ?? {}) as Record<string, unknown>;
  const next = metadata.nextCursor;
  return {
    servers: record.servers,
    ...(typeof next === "string" && next !== "" ? { nextCursor: next } : {}),
  };
}
