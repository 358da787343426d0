// JSON-RPC for the gateway's MCP routes: parse a request body once into
// classified messages (request, notification, response; method, tool or
// resource name, id), and build error objects with the specification's codes.
// Pure: no I/O, no HTTP.
import { type MethodFacts, methodFacts } from "./methods.ts";

export type JsonRpcId = string | number;

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /**
   * A relayed request the other side cancelled (notifications/cancelled; LSP's code). MCP sends
   * no response to a cancelled request, so it only ends the gateway's own waiting handler.
   */
  RequestCancelled: -32800,
  /** Implementation-defined range (-32000..-32019): the gateway's own conditions. */
  Forbidden: -32003,
  /** Both MCP SDKs' code for an unknown or expired session (sent with HTTP 404). */
  SessionNotFound: -32001,
  UpstreamUnavailable: -32010,
  UpstreamTimeout: -32011,
  RateLimited: -32012,
  /** Reserved by the 2026-07-28 revision. */
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcResponse {
  jsonrpc: "2.0";
  id: JsonRpcId | null;
  result?: unknown;
  error?: JsonRpcError;
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** One message of a body, with what the gateway needs to know about it. */
export type ClassifiedMessage =
  | {
      type: "request";
      message: JsonRpcRequest;
      method: string;
      /** `params.name` for tools/call and prompts/get, `params.uri` for resources/read. */
      target: string | undefined;
      /** The method table's entry, looked up once here (the audit trail and header checks read it). */
      facts: MethodFacts;
    }
  | { type: "notification"; message: JsonRpcNotification; method: string }
  | { type: "response"; message: JsonRpcResponse };

export interface ParsedBody {
  /** A JSON array body (allowed by the 2025-03-26 revision only). */
  batch: boolean;
  messages: ClassifiedMessage[];
}

export class JsonRpcParseError extends Error {
  override readonly name = "JsonRpcParseError";
  readonly code: number;
  /** The id of the offending message when it could be read. */
  readonly id: JsonRpcId | null;
  constructor(code: number, message: string, id: JsonRpcId | null = null) {
    super(message);
    this.code = code;
    this.id = id;
  }
}

export const MAX_BATCH_SIZE = 100;

/** Parses and classifies a JSON-RPC body. Throws JsonRpcParseError with the spec's code. */
export function parseJsonRpcBody(text: string): ParsedBody {
  const read = readJsonRpcBody(text);
  if ("error" in read) throw read.error;
  return read.body;
}

/**
 * Parses a body once and classifies it: the JSON value (for the SDK, which
 * takes it as `parsedBody`) with either the classified messages or the error.
 */
export function readJsonRpcBody(
  text: string,
): { json: unknown; body: ParsedBody } | { json: unknown; error: JsonRpcParseError } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      json: undefined,
      error: new JsonRpcParseError(ErrorCode.ParseError, "Parse error: the body is not valid JSON"),
    };
  }
  try {
    return { json: value, body: classifyBody(value) };
  } catch (error) {
    if (!(error instanceof JsonRpcParseError)) throw error;
    return { json: value, error };
  }
}

/** Classifies an already parsed JSON body. Throws JsonRpcParseError with the spec's code. */
export function classifyBody(value: unknown): ParsedBody {
  if (Array.isArray(value)) {
    if (value.length === 0)
      throw new JsonRpcParseError(ErrorCode.InvalidRequest, "Invalid Request: empty batch");
    if (value.length > MAX_BATCH_SIZE) {
      throw new JsonRpcParseError(
        ErrorCode.InvalidRequest,
        `Invalid Request: more than ${MAX_BATCH_SIZE} messages`,
      );
    }
    return { batch: true, messages: value.map(classify) };
  }
  return { batch: false, messages: [classify(value)] };
}

function isId(value: unknown): value is JsonRpcId {
  return (
    (typeof value === "string" && value.length <= 256) ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

function classify(value: unknown): ClassifiedMessage {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new JsonRpcParseError(ErrorCode.InvalidRequest, "Invalid Request: a message must be a JSON object");
  }
  const message = value as Record<string, unknown>;
  const id = isId(message.id) ? message.id : null;
  if (message.jsonrpc !== "2.0") {
    throw new JsonRpcParseError(ErrorCode.InvalidRequest, 'Invalid Request: "jsonrpc" must be "2.0"', id);
  }
  if ("id" in message && message.id !== null && !isId(message.id)) {
    throw new JsonRpcParseError(ErrorCode.InvalidRequest, "Invalid Request: id must be a string or a number");
  }
  if (message.params !== undefined && (typeof message.params !== "object" || message.params === null)) {
    throw new JsonRpcParseError(ErrorCode.InvalidRequest, "Invalid Request: params must be an object", id);
  }
  if (typeof message.method === "string") {
    if (message.method === "" || message.method.length > 256) {
      throw new JsonRpcParseError(ErrorCode.InvalidRequest, "Invalid Request: bad method", id);
    }
    const params = message.params as Record<string, unknown> | undefined;
    if (id === null) {
      return {
        type: "notification",
        message: message as unknown as JsonRpcNotification,
        method: message.method,
      };
    }
    const facts = methodFacts(message.method);
    return {
      type: "request",
      message: message as unknown as JsonRpcRequest,
      method: message.method,
      target: targetOf(facts, params),
      facts,
    };
  }
  if ("result" in message || "error" in message) {
    return { type: "response", message: message as unknown as JsonRpcResponse };
  }
  throw new JsonRpcParseError(ErrorCode.InvalidRequest, "Invalid Request: no method, result or error", id);
}

function targetOf(facts: MethodFacts, params: Record<string, unknown> | undefined): string | undefined {
  const param = facts.target;
  if (!params || param === undefined) return undefined;
  const value = params[param];
  return typeof value === "string" ? value : undefined;
}

export function errorResponse(
  id: JsonRpcId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse {
  const error: JsonRpcError = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: "2.0", id, error };
}

/** HTTP status for a gateway-produced JSON-RPC error, per the transport rules. */
export function httpStatusFor(code: number): number {
  switch (code) {
    case ErrorCode.ParseError:
    case ErrorCode.InvalidRequest:
    case ErrorCode.HeaderMismatch:
    case ErrorCode.UnsupportedProtocolVersion:
    case ErrorCode.MissingRequiredClientCapability:
      return 400;
    case ErrorCode.SessionNotFound:
      return 404;
    case ErrorCode.Forbidden:
      return 403;
    case ErrorCode.MethodNotFound:
      return 404;
    case ErrorCode.RateLimited:
      return 429;
    case ErrorCode.UpstreamUnavailable:
      return 502;
    case ErrorCode.UpstreamTimeout:
      return 504;
    default:
      return 200;
  }
}

/** Protocol revisions the gateway understands, oldest first. */
export const SESSION_BASED_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"] as const;
export const STATELESS_VERSIONS = ["2026-07-28"] as const;
export const SUPPORTED_VERSIONS: readonly string[] = [...SESSION_BASED_VERSIONS, ...STATELESS_VERSIONS];

/** True for revisions without initialize and sessions (2026-07-28 and later). */
export function isStatelessVersion(version: string | null | undefined): boolean {
  return (
    version !== null && version !== undefined && (STATELESS_VERSIONS as readonly string[]).includes(version)
  );
}
