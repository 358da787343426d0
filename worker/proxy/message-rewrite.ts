// What the per-server proxy changes in MCP traffic, and nothing more:
// - requests the caller may not make are answered by the gateway and never
//   reach the upstream;
// - tools/list results are cut to the tools the caller may call.
// Responses are matched to their requests through the JSON-RPC id: the
// gateway tags the ids of requests it must treat specially (`gw:` markers),
// so a response is recognised wherever it arrives (the POST's own response,
// the GET stream, or the legacy SSE stream served by another isolate) and its
// original id is restored before the client sees it.

import type { McpGuard } from "../edge/access.ts";
import type { McpRequest } from "../edge/ingress.ts";
import type { Decision } from "../policy/access-policy.ts";
import {
  type ClassifiedMessage,
  ErrorCode,
  errorResponse,
  type JsonRpcId,
  type JsonRpcMessage,
  type JsonRpcResponse,
  type ParsedBody,
} from "../protocol/jsonrpc.ts";
import { jsonRpcReply } from "../protocol/replies.ts";

const MARKER = "gw:";
const TOOLS_LIST = `${MARKER}tl:`;
const DENIED = `${MARKER}deny:`;

export interface MessageVerdict {
  method: string | null;
  tool: string | null;
  id: JsonRpcId | null;
  decision: Decision | null;
  /** A tools/call's arguments as the client sent them (the audit keeps what `auditArguments` allows). */
  arguments?: unknown;
}

export interface PreparedMessages {
  /** What to send upstream, with marked ids. */
  forward: JsonRpcMessage[];
  /** Errors the gateway answers itself, one per refused request. */
  refusals: JsonRpcResponse[];
  verdicts: MessageVerdict[];
  /** A request went up with a marked id: its answer may need rewriting. */
  marked: boolean;
}

/** A client may not send ids that look like the gateway's own markers. */
export function hasReservedId(messages: ClassifiedMessage[]): JsonRpcId | null {
  for (const { message } of messages) {
    if ("id" in message && typeof message.id === "string" && message.id.startsWith(MARKER)) return message.id;
  }
  return null;
}

/** The client's JSON-RPC body as the ingress parsed it; a ready error reply when it must be refused. */
export function clientBody(mcp: Pick<McpRequest, "body" | "bodyError">): ParsedBody | Response {
  const { body, bodyError } = mcp;
  if (bodyError !== null || body === null) {
    const error = bodyError ?? { id: null, code: ErrorCode.ParseError, message: "Parse error: no body" };
    return jsonRpcReply(errorResponse(error.id, error.code, error.message), 400);
  }
  const reserved = hasReservedId(body.messages);
  if (reserved !== null) {
    const message = 'Invalid Request: ids starting with "gw:" are reserved';
    return jsonRpcReply(errorResponse(reserved, ErrorCode.InvalidRequest, message), 400);
  }
  return body;
}

/** The client's body checked and every message in it decided (the steady POST's one call here). */
export function prepareRequest(
  mcp: Pick<McpRequest, "body" | "bodyError">,
  guard: McpGuard,
): { body: ParsedBody; prepared: PreparedMessages } | Response {
  const body = clientBody(mcp);
  if (body instanceof Response) return body;
  return { body, prepared: prepareOutgoing(body.messages, guard) };
}

export function refusal(id: JsonRpcId, decision: Decision): JsonRpcResponse {
  return errorResponse(id, ErrorCode.Forbidden, `Access denied (${decision.reason})`, {
    reason: decision.reason,
  });
}

/**
 * Decides every request. `substituteDenied` is for the legacy SSE transport,
 * whose responses travel on a stream the POST cannot write to: a refused
 * request is then sent upstream as a harmless `ping` with a marked id, and the
 * stream turns the ping's answer into the refusal.
 */
export function prepareOutgoing(
  messages: ClassifiedMessage[],
  guard: McpGuard,
  options: { substituteDenied?: boolean } = {},
): PreparedMessages {
  const prepared: PreparedMessages = { forward: [], refusals: [], verdicts: [], marked: false };
  for (const classified of messages) {
    if (classified.type !== "request") {
      // Notifications and the client's answers to server requests carry no
      // capability of their own; they pass unchanged.
      prepared.forward.push(classified.message);
      const method = classified.type === "notification" ? classified.method : null;
      prepared.verdicts.push({ method, tool: null, id: null, decision: null });
      continue;
    }
    const { message, method } = classified;
    const tool = method === "tools/call" ? (classified.target ?? null) : null;
    const params = (message as { params?: { arguments?: unknown } }).params;
    const decision = guard.decide(method, tool ?? undefined);
    const args = tool === null ? undefined : params?.arguments;
    prepared.verdicts.push({ method, tool, id: message.id, decision, arguments: args });
    if (!decision.allow) {
      if (options.substituteDenied) {
        prepared.marked = true;
        prepared.forward.push({
          jsonrpc: "2.0",
          id: mark(DENIED, message.id, decision.reason),
          method: "ping",
        });
      } else {
        prepared.refusals.push(refusal(message.id, decision));
      }
      continue;
    }
    if (method === "tools/list") {
      prepared.marked = true;
      prepared.forward.push({ ...message, id: mark(TOOLS_LIST, message.id) });
    } else if (method === "tools/call" && tool !== null && guard.checkCall) {
      // Tool pinning: held tools and undeclared arguments never reach the upstream.
      const check = guard.checkCall(tool, args);
      if ("refusal" in check && options.substituteDenied) {
        prepared.marked = true;
        prepared.forward.push({ jsonrpc: "2.0", id: mark(DENIED, message.id, check.reason), method: "ping" });
      } else if ("refusal" in check) prepared.refusals.push({ ...check.refusal, id: message.id });
      else if (check.arguments === args) prepared.forward.push(message);
      else {
        // Undeclared arguments stripped: the message goes up with the approved ones only.
        prepared.forward.push({
          ...message,
          params: { ...params, arguments: check.arguments },
        } as JsonRpcMessage);
      }
    } else {
      prepared.forward.push(message);
    }
  }
  return prepared;
}

function mark(prefix: string, id: JsonRpcId, extra?: string): string {
  return `${prefix}${extra ? `${extra}:` : ""}${JSON.stringify(id)}`;
}

function unmark(text: string): JsonRpcId | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "string" || typeof value === "number" ? value : null;
  } catch {
    return null;
  }
}

/** Rewrites one message coming from the upstream; unrelated messages pass unchanged. */
export function rewriteIncoming(message: unknown, guard: McpGuard): unknown {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return message;
  const response = message as JsonRpcResponse & { method?: unknown };
  if (typeof response.id !== "string" || !response.id.startsWith(MARKER) || "method" in response)
    return message;

  if (response.id.startsWith(TOOLS_LIST)) {
    const id = unmark(response.id.slice(TOOLS_LIST.length));
    if (id === null) return message;
    return {
      ...response,
      id,
      ...(response.result !== undefined ? { result: filterTools(response.result, guard) } : {}),
    };
  }
  if (response.id.startsWith(DENIED)) {
    const rest = response.id.slice(DENIED.length);
    const colon = rest.indexOf(":");
    const reason = rest.slice(0, colon);
    const id = unmark(rest.slice(colon + 1));
    if (colon === -1 || id === null) return message;
    return refusal(id, { allow: false, reason: reason as Decision["reason"], detail: "" });
  }
  return message;
}

function filterTools(result: unknown, guard: McpGuard): unknown {
  if (
    typeof result !== "object" ||
    result === null ||
    !Array.isArray((result as { tools?: unknown }).tools)
  ) {
    return result;
  }
  const tools = (result as { tools: unknown[] }).tools.filter(
    (tool) =>
      typeof tool === "object" &&
      tool !== null &&
      typeof (tool as { name?: unknown }).name === "string" &&
      guard.mayCall((tool as { name: string }).name),
  );
  return { ...result, tools: guard.listTools ? guard.listTools(tools) : tools };
}

/** Rewrites a JSON body (one message or a batch). */
export function rewriteIncomingJson(body: unknown, guard: McpGuard): unknown {
  return Array.isArray(body)
    ? body.map((item) => rewriteIncoming(item, guard))
    : rewriteIncoming(body, guard);
}
