// The client's session on `/{path}/mcp`, as the gateway keeps it: without
// storage, inside the sealed `Mcp-Session-Id` it hands out (session-token.ts
// binds it to the caller and the server). It names the upstream replica and
// session, the protocol version negotiated at initialize (any other version
// within the session is refused), and the client's initialize params, so a
// lost upstream session can be opened again (session-recovery.ts) and a
// bridged SSE upstream can be re-initialized on each exchange (sse-bridge.ts).

import type { JsonRpcMessage } from "../protocol/jsonrpc.ts";
import { sessionNotFound, unsupportedVersion } from "../protocol/replies.ts";
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

/** A session as read from the client's token for this request (a fresh object: identity matters). */
export interface OpenedSession extends ProxySession {
  /**
   * The token the client presented when it names exactly this session (not a
   * replacement): handed back as is when the upstream keeps the session, since
   * it is already bound to this caller and server (nothing to seal again).
   */
  presented?: string;
}

/**
 * The client's session for a request: null without a token; a ready reply when
 * the token is not theirs (or not valid at all), names a session they ended,
 * or the request speaks another version than the session negotiated.
 */
export async function requestSession(ctx: ProxyContext): Promise<OpenedSession | null | Response> {
  const session = await openProxySession(ctx);
  if (session === "invalid") return sessionNotFound();
  return versionRefusal(ctx, session) ?? session;
}

/** Resolves the client's sealed session id; `invalid` when it is not theirs (or not valid at all). */
export async function openProxySession(ctx: ProxyContext): Promise<OpenedSession | null | "invalid"> {
  // Read once by the ingress (edge/ingress.ts).
  const sealed = ctx.mcp.sessionId;
  if (sealed === null) return null;
  const opened = await openedToken(ctx, sealed);
  if (opened === null) return "invalid";
  const read: OpenedSession = { ...opened.session };
  // Tokens sealed before the session kept its version and params ([url, id]) are taken as they are.
  if (opened.legacy) return read;
  const session = current(read);
  // A session the client ended stays ended: 404, never a recovery (the specification's MUST).
  if (ended.has(keyOf(session))) return "invalid";
  if (session === read) read.presented = sealed;
  return session;
}

// Tokens this isolate verified, with exactly what they were verified for
// (secret, server, caller) and the session they carry, parsed (bounded): a
// session presents the same token with every request, so after its first
// request in the isolate neither the HMAC (session-token.ts) nor the JSON (up
// to ~2 kB of initialize params) is worked again. A token presented by
// another caller or for another server misses (different binding) and is
// verified, i.e. refused, by session-token.ts. Entries are never changed.
interface OpenedToken {
  /** What it was verified for, compared field by field (exact; nothing built per request). */
  bound: TokenBinding;
  session: Readonly<ProxySession>;
  /** Sealed before the session kept its version and params ([url, id]). */
  legacy: boolean;
}
const openedTokens = new Map<string, OpenedToken>();
const MAX_OPENED_TOKENS = 1_000;
const MAX_OPENED_TOKEN_CHARS = 4_096;

/** The secret, server and caller a token was verified for. */
interface TokenBinding {
  secret: string;
  serverId: string;
  tenant: string;
  issuer: string;
  subject: string;
}

function boundTo(bound: TokenBinding, ctx: ProxyContext): boolean {
  const { principal } = ctx;
  return (
    bound.secret === ctx.sessionSecret &&
    bound.serverId === ctx.server.id &&
    bound.tenant === principal.tenant &&
    bound.issuer === principal.issuer &&
    bound.subject === principal.subject
  );
}

async function openedToken(ctx: ProxyContext, sealed: string): Promise<OpenedToken | null> {
  const known = openedTokens.get(sealed);
  if (known !== undefined && boundTo(known.bound, ctx)) return known;
  const value = await openSessionValue(ctx.sessionSecret, binding(ctx), sealed);
  if (value === null) return null;
  const { principal } = ctx;
  const bound: TokenBinding = {
    secret: ctx.sessionSecret,
    serverId: ctx.server.id,
    tenant: principal.tenant,
    issuer: principal.issuer,
    subject: principal.subject,
  };
  const opened = { bound, session: sessionOf(value), legacy: value.startsWith("[") };
  if (sealed.length <= MAX_OPENED_TOKEN_CHARS) {
    if (openedTokens.size >= MAX_OPENED_TOKENS) openedTokens.clear();
    openedTokens.set(sealed, opened);
  }
  return opened;
}

function sessionOf(value: string): Readonly<ProxySession> {
  const parsed = JSON.parse(value) as unknown;
  // Tokens sealed before the session kept its version and params: [url, id].
  if (Array.isArray(parsed))
    return { url: String(parsed[0]), id: String(parsed[1]), version: null, init: null };
  const { u, s, v, i, b } = parsed as {
    u: string;
    s: string | null;
    v: string | null;
    i: ProxySession["init"];
    b?: "sse";
  };
  return { url: u, id: s, version: v, init: i, ...(b && { bridge: b }) };
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
  const version = ctx.mcp.protocolVersion;
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
