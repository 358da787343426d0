// server.json in and out. Out: a server as the MCP Registry API publishes it
// (ServerDetail), with `remotes` pointing at the gateway's own endpoints so a
// client reading this registry connects through the gateway. In: a document
// checked against the pinned server.schema.json, then turned into what a
// registration needs (remote transports become endpoints). Pure: no I/O.
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import serverSchema from "../../config/mcp-registry/server.schema.json";
import type { FieldError } from "../http/errors.ts";
import { registryNameOf } from "../registry/registry-names.ts";
import type {
  RegistryDetails,
  ServerRecord,
  ServerVersionSnapshot,
  Transport,
  UpstreamEndpoint,
} from "../store/registry-store.ts";

/** The `$schema` published server.json documents name (the pinned schema's release). */
export const SERVER_SCHEMA_URL =
  "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";
/** Registry metadata key of the official registry (status, timestamps, isLatest). */
export const OFFICIAL_META = "io.modelcontextprotocol.registry/official";
/** This gateway's own `_meta` key in Registry API answers: where a server comes from. */
export const PROVENANCE_META = "io.github.mcp-gateway/provenance";

const DESCRIPTION_MAX = 100;
const ENTRY_PATH: Record<Transport, string> = { "streamable-http": "mcp", sse: "sse" };

export interface ServerJson {
  $schema?: string;
  name: string;
  description: string;
  version: string;
  title?: string;
  websiteUrl?: string;
  repository?: RegistryDetails["repository"];
  icons?: RegistryDetails["icons"];
  packages?: unknown[];
  remotes?: RemoteTransport[];
  _meta?: Record<string, unknown>;
}

export interface RemoteTransport {
  type: Transport;
  url: string;
  headers?: {
    name: string;
    description?: string;
    isRequired?: boolean;
    isSecret?: boolean;
    value?: string;
  }[];
  variables?: Record<string, { default?: string; value?: string; description?: string }>;
}

export interface RenderContext {
  namespace: string;
  /** The gateway's public origin, no trailing slash. */
  baseUrl: string;
}

/**
 * The server.json of one version: name, the snapshot's texts, and a remote
 * per transport the server has, at the gateway (a bearer token required).
 */
export function renderServerJson(
  server: ServerRecord,
  version: string,
  snapshot: ServerVersionSnapshot,
  context: RenderContext,
): ServerJson {
  const details = snapshot.details ?? {};
  const transports = [...new Set(server.endpoints.map((endpoint) => endpoint.transport))];
  return {
    $schema: SERVER_SCHEMA_URL,
    name: registryNameOf(server, context.namespace),
    description: fitDescription(snapshot.description || snapshot.title),
    version,
    title: clip(details.title ?? snapshot.title, DESCRIPTION_MAX),
    ...(details.websiteUrl ? { websiteUrl: details.websiteUrl } : {}),
    ...(details.repository ? { repository: details.repository } : {}),
    ...(details.icons?.length ? { icons: details.icons } : {}),
    remotes: transports.map((transport) => ({
      type: transport,
      url: `${context.baseUrl}/${server.path}/${ENTRY_PATH[transport]}`,
      headers: [
        {
          name: "Authorization",
          description: "Bearer token for this gateway",
          isRequired: true,
          isSecret: true,
        },
      ],
    })),
  };
}

/** server.json descriptions are 1-100 characters; longer ones are cut at a word with an ellipsis. */
function fitDescription(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (trimmed === "") return "MCP server";
  if (trimmed.length <= DESCRIPTION_MAX) return trimmed;
  const cut = trimmed.slice(0, DESCRIPTION_MAX - 1);
  const atWord = cut.lastIndexOf(" ") > 60 ? cut.slice(0, cut.lastIndexOf(" ")) : cut;
  return `${atWord}…`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

// --- In ---------------------------------------------------------------------

let validator: Validator | null = null;

/** Field errors of a document against the pinned server.schema.json; [] when valid. */
export function serverJsonErrors(document: unknown): FieldError[] {
  validator ??= new Validator(serverSchema as object, "7", false);
  const result = validator.validate(document);
  return result.valid ? [] : fieldErrorsOf(result.errors);
}

// Keywords that only say "something below failed"; the leaf errors say what.
const WRAPPERS = new Set(["$ref", "properties", "items", "allOf", "additionalProperties"]);

/**
 * Leaf errors as `{field, message}` with dotted fields (`packages.0.version`).
 * A value that matches none of several allowed forms (anyOf) is reported once,
 * at that value, instead of once per form it failed.
 */
function fieldErrorsOf(units: OutputUnit[]): FieldError[] {
  const choices = units
    .filter((unit) => unit.keyword === "anyOf" || unit.keyword === "oneOf")
    .map((unit) => unit.instanceLocation);
  const errors = new Map<string, FieldError>();
  for (const unit of units) {
    if (WRAPPERS.has(unit.keyword)) continue;
    const choice = choices.find((location) => isWithin(unit.instanceLocation, location));
    if (choice !== undefined) {
      const field = fieldOf(choice);
      errors.set(field, { field, message: "does not match any allowed form of this item" });
      continue;
    }
    const missing = /required property "([^"]+)"/.exec(unit.error)?.[1];
    const field = missing ? fieldOf(`${unit.instanceLocation}/${missing}`) : fieldOf(unit.instanceLocation);
    const message = missing ? "required" : describe(unit);
    if (!errors.has(field)) errors.set(field, { field, message });
  }
  return [...errors.values()];
}

function isWithin(location: string, ancestor: string): boolean {
  return location === ancestor || location.startsWith(`${ancestor}/`);
}

function fieldOf(instanceLocation: string): string {
  return instanceLocation
    .replace(/^#\/?/, "")
    .split("/")
    .filter((part) => part !== "")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .join(".");
}

function describe(unit: OutputUnit): string {
  if (unit.keyword === "not") return "this value is not allowed here (e.g. a floating tag such as latest)";
  return unit.error.replace(/^Instance /, "value ");
}

/** What a registration takes from a server.json (the caller adds path and local settings). */
export interface ImportedServer {
  registryName: string;
  /** Display name: the title, or the name part of `namespace/name`. */
  displayName: string;
  description: string;
  version: string;
  endpoints: UpstreamEndpoint[];
  registryDetails: RegistryDetails | null;
  /** Headers the remotes declare required and secret (the caller may supply credentials). */
  requiredSecretHeaders: string[];
}

export type ImportResult = { ok: true; server: ImportedServer } | { ok: false; errors: FieldError[] };

/**
 * Schema first; then the gateway's own rule: it fronts remote servers, so a
 * server.json needs at least one remote (one with only `packages` runs on the
 * user's machine and cannot be proxied). Remote URL variables take their
 * `value` or `default`; a variable with neither is an error naming the remote.
 */
export function importServerJson(document: unknown): ImportResult {
  const schemaErrors = serverJsonErrors(document);
  if (schemaErrors.length > 0) return { ok: false, errors: schemaErrors };
  const doc = document as ServerJson;
  const remotes = doc.remotes ?? [];
  if (remotes.length === 0) {
    const message = doc.packages?.length
      ? "this server has only packages (it runs on the user's machine); the gateway fronts remote servers, so a remote (streamable-http or sse) is required"
      : "a remote (streamable-http or sse) is required: the gateway fronts remote servers";
    return { ok: false, errors: [{ field: "remotes", message }] };
  }
  const errors: FieldError[] = [];
  const endpoints: UpstreamEndpoint[] = [];
  remotes.forEach((remote, index) => {
    const resolved = resolveUrl(remote);
    if ("missing" in resolved) {
      errors.push({
        field: `remotes.${index}.url`,
        message: `the variable {${resolved.missing}} has no value or default`,
      });
      return;
    }
    endpoints.push({ url: resolved.url, transport: remote.type, weight: 1 });
  });
  if (errors.length > 0) return { ok: false, errors };
  const requiredSecretHeaders = [
    ...new Set(
      remotes.flatMap((remote) =>
        (remote.headers ?? [])
          .filter((header) => header.isRequired && header.isSecret && header.value === undefined)
          .map((header) => header.name),
      ),
    ),
  ];
  const details: RegistryDetails = {
    ...(doc.title ? { title: doc.title } : {}),
    ...(doc.websiteUrl ? { websiteUrl: doc.websiteUrl } : {}),
    ...(doc.repository ? { repository: doc.repository } : {}),
    ...(doc.icons?.length ? { icons: doc.icons } : {}),
  };
  return {
    ok: true,
    server: {
      registryName: doc.name,
      displayName: doc.title ?? doc.name.slice(doc.name.indexOf("/") + 1),
      description: doc.description,
      version: doc.version,
      endpoints,
      registryDetails: Object.keys(details).length > 0 ? details : null,
      requiredSecretHeaders,
    },
  };
}

function resolveUrl(remote: RemoteTransport): { url: string } | { missing: string } {
  let missing: string | null = null;
  const url = remote.url.replace(/\{([a-zA-Z_][a-zA-Z0-9_]*)\}/g, (_whole, name: string) => {
    const variable = remote.variables?.[name];
    const value = variable?.value ?? variable?.default;
    if (value === undefined) {
      missing ??= name;
      return "";
    }
    return value;
  });
  return missing === null ? { url } : { missing };
}
