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

export async function sealSessionValue(
  secret: string,
  binding: SessionBinding,
  value: string,
): Promise<string> {
  const key = await hmacKey(secret);
  const input = signedInput(binding.purpose, binding.serverId, callerKey(binding.principal), value);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, input));
  return `${VERSION}.${base64urlEncode(encoder.encode(value))}.${base64urlEncode(mac)}`;
}

/** The bound value, or null when the token is not valid for this caller and server. */
export async function openSessionValue(
  secret: string,
  binding: SessionBinding,
  token: string,
): Promise<string | null> {
  if (token.length > 4096) return null;
  const [version, encodedValue, encodedMac, extra] = token.split(".");
  if (version !== VERSION || encodedValue === undefined || encodedMac === undefined || extra !== undefined)
    return null;
  const valueBytes = base64urlDecode(encodedValue);
  const mac = base64urlDecode(encodedMac);
  if (!valueBytes || !mac) return null;
  const value = new TextDecoder().decode(valueBytes);
  const key = await hmacKey(secret);
  const input = signedInput(binding.purpose, binding.serverId, callerKey(binding.principal), value);
  return (await crypto.subtle.verify("HMAC", key, mac, input)) ? value : null;
}
