// Binds upstream MCP sessions to the identity that opened them, without
// storage: the client never sees the upstream's session id (or legacy message
// URL), only a token carrying it together with an HMAC over
// (purpose, server, caller, value). A token presented by another identity, for
// another server, or altered in any way does not verify, so it is refused.

import type { Principal } from "../auth/principal.ts";
import { base64urlDecode, base64urlEncode } from "../platform/encoding.ts";
import { hmacKey } from "../platform/hmac-key.ts";

export type SessionTokenPurpose = "streamable-session" | "legacy-endpoint";

const VERSION = "g1";
const encoder = new TextEncoder();

/** The caller as the binding sees it: issuer, subject and tenant. */
export function callerKey(principal: Principal): string {
  return JSON.stringify([principal.tenant, principal.issuer, principal.subject]);
}

function signedInput(
  purpose: SessionTokenPurpose,
  serverId: string,
  caller: string,
  value: string,
): Uint8Array {
  return encoder.encode(JSON.stringify([VERSION, purpose, serverId, caller, value]));
}

export interface SessionBinding {
  purpose: SessionTokenPurpose;
  serverId: string;
  principal: Principal;
}

// Per isolate, bounded: tokens this isolate sealed or verified, with exactly
// what they were verified for (secret, purpose, server, caller) and the value
// they carry. A session's requests present the same token every time, and the
// upstream repeats the same session id in every answer, so after the first
// exchange neither side needs an HMAC: the lookup is an exact match on the
// whole token and the whole binding, which is what the HMAC proved once. A
// token presented by another caller or for another server misses (different
// binding) and is verified, i.e. refused, as before. Nothing here expires on
// its own: a sealed token carries no expiry either (the upstream session's
// end is what ends it).
interface KnownToken {
  bound: string;
  value: string;
}
const known = new Map<string, KnownToken>();
/** The token sealed for (binding, value), so an unchanged session is not signed again. */
const sealedBy = new Map<string, string>();
// Bounded in count and size (a token carries the client's initialize params,
// up to ~3 kB): at most ~2,000 x 4 kB across both maps, a few MB per isolate.
const MAX_KNOWN_TOKENS = 2_000;
const MAX_KNOWN_TOKEN_CHARS = 1_536;

function boundTo(secret: string, binding: SessionBinding): string {
  return JSON.stringify([secret, binding.purpose, binding.serverId, callerKey(binding.principal)]);
}

function remember(token: string, entry: KnownToken): void {
  if (token.length > MAX_KNOWN_TOKEN_CHARS) return;
  if (known.size >= MAX_KNOWN_TOKENS) known.clear();
  known.set(token, entry);
}

/** Forgets the tokens this isolate knows (tests). */
export function forgetKnownSessionTokens(): void {
  known.clear();
  sealedBy.clear();
}

export async function sealSessionValue(
  secret: string,
  binding: SessionBinding,
  value: string,
): Promise<string> {
  const bound = boundTo(secret, binding);
  const sealed = sealedBy.get(`${bound}\u0000${value}`);
  if (sealed !== undefined) return sealed;
  const key = await hmacKey(secret);
  const input = signedInput(binding.purpose, binding.serverId, callerKey(binding.principal), value);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, input));
  const token = `${VERSION}.${base64urlEncode(encoder.encode(value))}.${base64urlEncode(mac)}`;
  // HMAC is deterministic: the same binding and value always seal to the same token.
  if (token.length <= MAX_KNOWN_TOKEN_CHARS) {
    if (sealedBy.size >= MAX_KNOWN_TOKENS) sealedBy.clear();
    sealedBy.set(`${bound}\u0000${value}`, token);
  }
  remember(token, { bound, value });
  return token;
}

/** The bound value, or null when the token is not valid for this caller and server. */
export async function openSessionValue(
  secret: string,
  binding: SessionBinding,
  token: string,
): Promise<string | null> {
  if (token.length > 4096) return null;
  const bound = boundTo(secret, binding);
  const hit = known.get(token);
  if (hit !== undefined && hit.bound === bound) return hit.value;
  const [version, encodedValue, encodedMac, extra] = token.split(".");
  if (version !== VERSION || encodedValue === undefined || encodedMac === undefined || extra !== undefined)
    return null;
  const valueBytes = base64urlDecode(encodedValue);
  const mac = base64urlDecode(encodedMac);
  if (!valueBytes || !mac) return null;
  const value = new TextDecoder().decode(valueBytes);
  const key = await hmacKey(secret);
  const input = signedInput(binding.purpose, binding.serverId, callerKey(binding.principal), value);
  if (!(await crypto.subtle.verify("HMAC", key, mac, input))) return null;
  remember(token, { bound, value });
  return value;
}
