// The `requestState` of the gateway's 2026-07-28 `input_required` results:
// the id of the held upstream exchange, bound by an HMAC (key: the
// SESSION_SECRET) to the caller, the server, the method and target of the
// request, and an expiry. The state round-trips through the client, so it is
// attacker-controlled on the retry: anything altered, expired, or presented by
// another identity or for another request does not open.
import type { Principal } from "../auth/principal.ts";
import { base64urlDecode, base64urlEncode } from "../platform/encoding.ts";
import { hmacKey } from "../platform/hmac-key.ts";

const VERSION = "i1";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What one state stands for. */
export interface InputBinding {
  /** inputCaller(principal). */
  caller: string;
  serverId: string;
  method: string;
  /** The tool, prompt or resource the request names. */
  target: string;
}

interface Sealed extends InputBinding {
  id: string;
  exp: number;
}

/** The identity a state is bound to: tenant, issuer and subject. */
export function inputCaller(principal: Principal): string {
  return JSON.stringify(["input", principal.tenant, principal.issuer, principal.subject]);
}

export async function sealInputState(
  secret: string,
  binding: InputBinding,
  id: string,
  expiresAt: number,
): Promise<string> {
  const payload = encoder.encode(JSON.stringify({ ...binding, id, exp: expiresAt } satisfies Sealed));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), withVersion(payload)));
  return `${VERSION}.${base64urlEncode(payload)}.${base64urlEncode(mac)}`;
}

/** The exchange id, or null when the state is not valid for this caller and request now. */
export async function openInputState(
  secret: string,
  binding: InputBinding,
  state: string,
  now = Date.now(),
): Promise<string | null> {
  const [version, body, macText, ...rest] = state.split(".");
  if (version !== VERSION || body === undefined || macText === undefined || rest.length > 0) return null;
  const payload = base64urlDecode(body, 4_096);
  const mac = base64urlDecode(macText, 64);
  if (!payload || !mac) return null;
  const valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), mac, withVersion(payload));
  if (!valid) return null;
  let sealed: Sealed;
  try {
    sealed = JSON.parse(decoder.decode(payload)) as Sealed;
  } catch {
    return null;
  }
  const same =
    sealed.caller === binding.caller &&
    sealed.serverId === binding.serverId &&
    sealed.method === binding.method &&
    sealed.target === binding.target;
  return same && typeof sealed.exp === "number" && sealed.exp > now && typeof sealed.id === "string"
    ? sealed.id
    : null;
}

function withVersion(payload: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${VERSION}.`);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix);
  out.set(payload, prefix.length);
  return out;
}
