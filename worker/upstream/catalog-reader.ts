// Reads an upstream MCP server's catalog (identity, tools, resources, resource
// templates, prompts) by connecting to it as a client from inside the Worker;
// used when a server is registered or refreshed. Failures become a
// CatalogUnavailableError with a reason safe to show to an admin.
import type { Client } from "@modelcontextprotocol/client";
import { deadline as startDeadline, untilAborted } from "../platform/deadline.ts";
import { type CatalogKind, listAll } from "./catalog-pages.ts";
import { UpstreamConnection, type UpstreamTarget, upstreamUrlProblem } from "./upstream-client.ts";
import { explainFailure, type Phase } from "./upstream-failure.ts";

export type { UpstreamTarget, UpstreamTransport } from "./upstream-client.ts";

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
  const problem = upstreamUrlProblem(target.url);
  if (problem !== null) throw new CatalogUnavailableError(problem);

  const deadline = startDeadline(timeoutMs);
  // The generation calls use (upstream-call.ts: `server/discover` first, then the 2025
  // `initialize`), so the catalog lists what a call can reach: a server that speaks both
  // generations may offer more to a 2026-07-28 client (the conformance reference server does).
  const connection = new UpstreamConnection(target, {
    signal: deadline.signal,
    negotiation: "auto",
    ...(options.fetch && { fetch: options.fetch }),
  });

  const progress: { phase: Phase } = { phase: "initialize" };
  try {
    return await untilAborted(read(connection, deadline.signal, timeoutMs, progress), deadline.signal);
  } catch (error) {
    if (error instanceof CatalogUnavailableError) throw error;
    if (deadline.signal.aborted) {
      throw new CatalogUnavailableError(`timed out after ${timeoutMs} ms (during ${progress.phase})`);
    }
    throw new CatalogUnavailableError(explainFailure(error, progress.phase, connection.observed.failure));
  } finally {
    deadline.clear();
    await connection.close(true);
  }
}

async function read(
  connection: UpstreamConnection,
  signal: AbortSignal,
  timeoutMs: number,
  progress: { phase: Phase },
): Promise<DiscoveredCatalog> {
  const requestOptions = { signal, timeout: timeoutMs };
  await connection.connect(requestOptions);
  const client = connection.client;

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
