// Reads an upstream MCP server's catalog (identity, tools, resources, resource
// templates, prompts) by connecting to it as a client from inside the Worker;
// used when a server is registered or refreshed. Failures become a
// CatalogUnavailableError with a reason safe to show to an admin.
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from "@modelcontextprotocol/client";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/client/validators/cf-worker";
import { type CatalogKind, listAll } from "./catalog-pages.ts";
import { explainFailure, ObservedFetch, type Phase } from "./upstream-failure.ts";

export type UpstreamTransport = "streamable-http" | "sse";

export interface UpstreamTarget {
  url: string;
  transport: UpstreamTransport;
  /** Extra request headers (egress credentials later). */
  headers?: Record<string, string>;
}

export type CatalogObject = Record<string, unknown>;

export interface DiscoveredCatalog {
  serverInfo: { name: string; version: string; title?: string } | null;
  protocolVersion: string | null;
  instructions: string | null;
  /** Objects exactly as the server returned them; each has `name`. */
  tools: CatalogObject[];
  /** Each has `uri`. */
  resources: CatalogObject[];
  /** Each has `uriTemplate`. */
  resourceTemplates: CatalogObject[];
  /** Each has `name`. */
  prompts: CatalogObject[];
  /** Human-readable notes, e.g. "tools list truncated at 5000 items". */
  warnings: string[];
}

/** Thrown when the server cannot be read; `reason` is safe to show to an admin (no stack, no internals). */
export class CatalogUnavailableError extends Error {
  override readonly name = "CatalogUnavailableError";

  constructor(readonly reason: string) {
    super(`catalog unavailable: ${reason}`);
  }
}

export interface ReadCatalogOptions {
  /** Bounds connecting, the handshake and every list call together. */
  timeoutMs: number;
  /** Defaults to the global fetch. Called as a plain function, so bind a service binding's `fetch` first. */
  fetch?: typeof fetch;
}

/** Closing (Streamable HTTP session DELETE) gets this much time on top of `timeoutMs`. */
const CLOSE_BUDGET_MS = 1_000;

const CLIENT_INFO = { name: "mcp-gateway-registry", version: "0.1.0" };

// A one-shot read has no use for the standalone stream's reconnection.
const NO_RECONNECT = {
  maxRetries: 0,
  initialReconnectionDelay: 1_000,
  maxReconnectionDelay: 1_000,
  reconnectionDelayGrowFactor: 1,
};

const KINDS: readonly CatalogKind[] = [
  { field: "tools", method: "tools/list", key: "name", capability: "tools" },
  { field: "resources", method: "resources/list", key: "uri", capability: "resources" },
  {
    field: "resourceTemplates",
    method: "resources/templates/list",
    key: "uriTemplate",
    capability: "resources",
    optional: true,
  },
  { field: "prompts", method: "prompts/list", key: "name", capability: "prompts" },
];

export async function readCatalog(
  target: UpstreamTarget,
  options: ReadCatalogOptions,
): Promise<DiscoveredCatalog> {
  const { timeoutMs } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError("timeoutMs must be a positive number");
  }
  const url = parseUpstreamUrl(target.url);

  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  const observed = new ObservedFetch(options.fetch ?? fetch, deadline.signal);
  const transport = createTransport(url, target, observed.fetch);
  const client = new Client(CLIENT_INFO, {
    capabilities: {},
    // Ajv compiles schemas to code, which workerd forbids; this validator interprets them.
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    // The plain 2025 `initialize` handshake, understood by every session-based server.
    versionNegotiation: { mode: "legacy" },
  });
  // Transport hiccups also surface as rejected requests; reporting them twice helps no one.
  client.onerror = () => {};

  const progress: { phase: Phase } = { phase: "initialize" };
  try {
    return await untilAborted(read(client, transport, deadline.signal, timeoutMs, progress), deadline.signal);
  } catch (error) {
    if (error instanceof CatalogUnavailableError) throw error;
    if (deadline.signal.aborted) {
      throw new CatalogUnavailableError(`timed out after ${timeoutMs} ms (during ${progress.phase})`);
    }
    throw new CatalogUnavailableError(explainFailure(error, progress.phase, observed.failure));
  } finally {
    clearTimeout(timer);
    await close(client, transport, observed);
  }
}

async function read(
  client: Client,
  transport: Transport,
  signal: AbortSignal,
  timeoutMs: number,
  progress: { phase: Phase },
): Promise<DiscoveredCatalog> {
  const requestOptions = { signal, timeout: timeoutMs };
  await client.connect(transport, requestOptions);

  const capabilities = client.getServerCapabilities() ?? {};
  const warnings: string[] = [];
  const lists: Record<CatalogKind["field"], CatalogObject[]> = {
    tools: [],
    resources: [],
    resourceTemplates: [],
    prompts: [],
  };
  for (const kind of KINDS) {
    if (!capabilities[kind.capability]) continue;
    progress.phase = kind.method;
    lists[kind.field] = await listAll(client, kind, requestOptions, warnings);
  }

  return {
    serverInfo: serverInfoOf(client),
    protocolVersion: client.getNegotiatedProtocolVersion() ?? null,
    instructions: client.getInstructions() ?? null,
    ...lists,
    warnings,
  };
}

function parseUpstreamUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CatalogUnavailableError("invalid upstream URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CatalogUnavailableError(`unsupported URL scheme ${url.protocol.replace(/:$/, "")}`);
  }
  return url;
}

function createTransport(url: URL, target: UpstreamTarget, fetchFn: ObservedFetch["fetch"]): Transport {
  const requestInit: RequestInit | undefined = target.headers ? { headers: target.headers } : undefined;
  if (target.transport === "sse") {
    // The SDK's SSE transport runs in workerd: its EventSource is the fetch-based `eventsource` package.
    return new SSEClientTransport(url, { fetch: fetchFn, requestInit });
  }
  return new StreamableHTTPClientTransport(url, {
    fetch: fetchFn,
    requestInit,
    reconnectionOptions: NO_RECONNECT,
  });
}

function serverInfoOf(client: Client): DiscoveredCatalog["serverInfo"] {
  const info = client.getServerVersion();
  if (!info) return null;
  const serverInfo: { name: string; version: string; title?: string } = {
    name: info.name,
    version: info.version,
  };
  if (typeof info.title === "string") serverInfo.title = info.title;
  return serverInfo;
}

/** Ends the upstream session (DELETE for Streamable HTTP) and the connection, best effort, within a short budget. */
async function close(client: Client, transport: Transport, observed: ObservedFetch): Promise<void> {
  const budget = AbortSignal.timeout(CLOSE_BUDGET_MS);
  observed.useSignal(budget);
  if (transport instanceof StreamableHTTPClientTransport) {
    // A server that refuses (405) or has already forgotten the session needs nothing more from us.
    await untilAborted(transport.terminateSession(), budget).catch(() => {});
  }
  await untilAborted(client.close(), budget).catch(() => {});
}

/** `work`, or a rejection with the abort reason as soon as `signal` fires (some SDK steps take no signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
