// Checks the MCP request-metadata headers against the body. The 2026-07-28
// transport requires MCP-Protocol-Version, Mcp-Method and (for named calls)
// Mcp-Name, matching the body; the gateway decides policy from the body while
// an upstream or intermediary may route on the headers, so a mismatch is
// refused for every revision, not just the new one.
import {
  ErrorCode,
  errorResponse,
  isStatelessVersion,
  type JsonRpcResponse,
  type ParsedBody,
  STATELESS_VERSIONS,
  SUPPORTED_VERSIONS,
} from "./jsonrpc.ts";

const VERSION_META = "io.modelcontextprotocol/protocolVersion";

/** Decodes the `=?base64?...?=` sentinel form; null when malformed. */
export function decodeHeaderValue(value: string): string | null {
  const match = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  if (!match) return value;
  try {
    const bytes = Uint8Array.from(atob(match[1] ?? ""), (char) => char.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

function mismatch(id: unknown, message: string): JsonRpcResponse {
  return errorResponse(
    typeof id === "string" || typeof id === "number" ? id : null,
    ErrorCode.HeaderMismatch,
    message,
  );
}

/**
 * The revisions a -32022 answer offers: a request in the 2026-07-28 style
 * (its version in `_meta`) gets what `server/discover` lists, the stateless
 * revisions; a 2025-era client (no `_meta` envelope) every revision.
 */
export function versionsOffered(body: ParsedBody | null): readonly string[] {
  const first = body?.messages[0];
  const meta = first && first.type !== "response" ? first.message.params?._meta : undefined;
  const modern = typeof meta === "object" && meta !== null && VERSION_META in meta;
  return modern ? STATELESS_VERSIONS : SUPPORTED_VERSIONS;
}

/** Null when the headers are acceptable; otherwise the error to answer with (HTTP 400). */
export function checkStandardHeaders(headers: Headers, body: ParsedBody): JsonRpcResponse | null {
  const version = headers.get("mcp-protocol-version");
  const first = body.messages[0];
  const firstId = first && "id" in first.message ? first.message.id : null;
  if (version !== null && !SUPPORTED_VERSIONS.includes(version)) {
    return errorResponse(
      firstId ?? null,
      ErrorCode.UnsupportedProtocolVersion,
      "Unsupported protocol version",
      {
        requested: version,
        supported: versionsOffered(body),
      },
    );
  }
  const stateless = isStatelessVersion(version);
  if (stateless && body.batch) {
    return errorResponse(
      null,
      ErrorCode.InvalidRequest,
      "Batches are not part of protocol version 2026-07-28",
    );
  }
  for (const classified of body.messages) {
    if (classified.type === "response") continue;
    const id = classified.type === "request" ? classified.message.id : null;
    const metaVersion = (classified.message.params?._meta as Record<string, unknown> | undefined)?.[
      VERSION_META
    ];
    if (metaVersion !== undefined && metaVersion !== version) {
      return mismatch(id, `MCP-Protocol-Version header does not match ${VERSION_META} in the body`);
    }
    const methodHeader = headers.get("mcp-method");
    if (methodHeader === null && stateless) return mismatch(id, "Mcp-Method header is required");
    if (methodHeader !== null && !body.batch && methodHeader !== classified.method) {
      return mismatch(
        id,
        `Mcp-Method header '${methodHeader}' does not match body method '${classified.method}'`,
      );
    }
    if (classified.type !== "request" || !classified.facts.nameHeader) continue;
    const nameHeader = headers.get("mcp-name");
    if (nameHeader === null) {
      if (stateless) return mismatch(id, "Mcp-Name header is required");
      continue;
    }
    const decoded = decodeHeaderValue(nameHeader);
    if (decoded === null) return mismatch(id, "Mcp-Name header is not valid");
    if (!body.batch && decoded !== classified.target) {
      return mismatch(id, "Mcp-Name header does not match the body");
    }
  }
  return null;
}
