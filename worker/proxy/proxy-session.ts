// The client's session on `/{path}/mcp`, as the gateway keeps it: without
// storage, inside the sealed `Mcp-Session-Id` it hands out (session-token.ts
// binds it to the caller and the server). It names the upstream replica and
// session, the protocol version negotiated at initialize (any other version
// within the session is refused), and the client's initialize params, so a
// lost upstream session can be opened again (session-recovery.ts) and a
// bridged SSE upstream can be re-initialized on each exchange (sse-bridge.ts).

import type { JsonRpcMessage } from "../protocol/jsonrpc.ts";
import { unsupportedVersion } from "../protocol/replies.ts";
import type { ProxyContext } from "./proxy-context.ts";
import { openSessionValue, type SessionBinding, sealSessionValue } from "./session-token.ts";

export interface ProxySession {
  /** The replica that holds it: later requests of the session must go there. */
  url: string;
  /** The upstream's own session id; null for a bridged SSE upstream (a fresh legacy session per exchange). */
  id: string | null;
  /** The protocol version negotiated at initialize; null when unknown. */
  version: string | null;
  /** The client's initialize params, replayed to open a new upstream session; null when too large to keep. */
  init: Record<string, unknown> | null;
  /** Set when the upstream speaks legacy HTTP+SSE and the gateway bridges the client's Streamable HTTP. */
  bridge?: "sse";
}

/** Initialize params larger than this are not kept (the token travels in every request header). */
const MAX_INIT_CHARS = 2_048;

function binding(ctx: ProxyContext): SessionBinding {
  return { purpose: "streamable-session", serverId: ctx.server.id, principal: ctx.principal };
}

/** Resolves the client's sealed session id; `invalid` when it is not theirs (or not valid at all). */
export async function openProxySession(ctx: ProxyContext): Promise<ProxySession | null | "invalid"> {
  const sealed = ctx.request.headers.get("mcp-session-id");
  if (sealed === null) return null;
  const value = await openSessionValue(ctx.sessionSecret, binding(ctx), sealed);
  if (value === null) return "invalid";
  // A fresh object per request (identity matters below); the parse of the verified value is reused.
  const read: ProxySession = { ...sessionOf(value) };
  // Tokens sealed before the session kept its version and params ([url, id]) are taken as they are.
  if (value.startsWith("[")) return read;
  const session = current(read);
  // A session the client ended stays ended: 404, never a recovery (the specification's MUST).
  if (ended.has(keyOf(session))) return "invalid";
  if (session === read) presentedAs.set(session, sealed);
  return session;
}

// Values of tokens verified by this isolate, parsed (bounded): a session presents the same token
// with every request, so its JSON (up to ~2 kB of initialize params) is parsed once. Only values
// openSessionValue returned (verified for the caller) are looked up; entries are never changed.
const parsedValues = new Map<string, Readonly<ProxySession>>();
const MAX_PARSED_VALUES = 1_000;
const MAX_PARSED_VALUE_CHARS = 2_048;

function sessionOf(value: string): Readonly<ProxySession> {
  const known = parsedValues.get(value);
  if (known !== undefined) return known;
  const parsed = JSON.parse(value) as unknown;
  let session: ProxySession;
  // Tokens sealed before the session kept its version and params: [url, id].
  if (Array.isArray(parsed)) {
    session = { url: String(parsed[0]), id: String(parsed[1]), version: null, init: null };
  } else {
    const { u, s, v, i, b } = parsed as {
      u: string;
      s: string | null;
      v: string | null;
      i: ProxySession["init"];
      b?: "sse";
    };
    session = { url: u, id: s, version: v, init: i, ...(b && { bridge: b }) };
  }
  if (value.length > MAX_PARSED_VALUE_CHARS) return session;
  if (parsedValues.size >= MAX_PARSED_VALUES) parsedValues.clear();
  parsedValues.set(value, session);
  return session;
}

// Sessions read from the client's token and not replaced since: the token
// that carries them, handed back as is when the upstream keeps the session
// (nothing to seal again; the token is already bound to this caller and server).
const presentedAs = new WeakMap<ProxySession, string>();

/** The client's own token for `session` when it still names exactly this replica and upstream session. */
export function presentedToken(session: ProxySession, replicaUrl: string, upstreamId: string): string | null {
  if (session.url !== replicaUrl || session.id !== upstreamId) return null;
  return presentedAs.get(session) ?? null;
}

export function sealProxySession(ctx: ProxyContext, session: ProxySession): Promise<string> {
  const value = { u: session.url, s: session.id, v: session.version, i: session.init, b: session.bridge };
  return sealSessionValue(ctx.sessionSecret, binding(ctx), JSON.stringify(value));
}

/**
 * Within a session only the negotiated version is spoken (no header: the
 * client predates it). The same answer as the aggregated endpoint's session
 * (durable-objects/mcp-session.ts): 400 with -32022.
 */
export function versionRefusal(ctx: ProxyContext, session: ProxySession | null): Response | null {
  const version = ctx.request.headers.get("mcp-protocol-version");
  if (session === null || session.version === null || version === null || version === session.version) {
    return null;
  }
  return unsupportedVersion(version, [session.version]);
}

/** The params of a lone `initialize` request in the body, or null. */
export function initializeParams(forward: JsonRpcMessage[]): Record<string, unknown> | null {
  const [first] = forward;
  if (forward.length !== 1 || first === undefined || !("method" in first) || first.method !== "initialize") {
    return null;
  }
  const params = (first as { params?: unknown }).params;
  return typeof params === "object" && params !== null ? (params as Record<string, unknown>) : {};
}

/** The initialize params worth keeping in the token (null when too large). */
export function keptInit(params: Record<string, unknown> | null): Record<string, unknown> | null {
  if (params === null) return null;
  return JSON.stringify(params).length <= MAX_INIT_CHARS ? params : null;
}

// Upstream sessions opened again after the old one was lost, per isolate: a
// client that keeps presenting its old token (the SDK v2 client adopts a new
// session id only at initialize) reaches the new upstream session at once. An
// isolate without the entry recovers on its own (the old session answers 404).
const replaced = new Map<string, ProxySession>();
const MAX_REPLACED = 1_000;

function keyOf(session: ProxySession): string {
  return `${session.url} ${session.id}`;
}

function current(session: ProxySession): ProxySession {
  let found = session;
  // A session lost twice was replaced twice: follow the chain (bounded).
  for (let step = 0; step < 4; step += 1) {
    const next = replaced.get(keyOf(found));
    if (next === undefined) break;
    found = next;
  }
  return found;
}

// Sessions their client ended with DELETE, per isolate (bounded): a request
// on an ended session gets 404 and is never recovered. Known gap: another
// isolate cannot tell the upstream's 404 for an ended session from one for
// an expired session, and would open a new upstream session.
const ended = new Set<string>();
const MAX_ENDED = 10_000;

/** The client ended `session` (DELETE answered 2xx). */
export function rememberEnded(session: ProxySession): void {
  if (ended.size >= MAX_ENDED) ended.clear();
  ended.add(keyOf(session));
}

/** The session this isolate opened in place of `old`, if any. */
export function replacementOf(old: ProxySession): ProxySession | null {
  return replaced.get(keyOf(old)) ?? null;
}

export function rememberReplacement(old: ProxySession, now: ProxySession): void {
  if (replaced.size >= MAX_REPLACED) replaced.clear();
  replaced.set(keyOf(old), now);
}
