// Dashboard single sign-on: people sign in at the configured OIDC IdP (code
// flow with PKCE S256 and a nonce) and get a short-lived session cookie.
//  - Cookie: HttpOnly, SameSite=Lax, Path=/, Secure (and the `__Host-` prefix)
//    except on plain-http loopback; the value is 32 random bytes; KV keeps only
//    its SHA-256 (`gw-session:{hash}`) with the principal, the CSRF token and
//    the ID token (for RP-initiated logout).
//  - Lifetime SESSION_TTL_SECONDS; rotated (new value, old one valid for a
//    last minute so parallel requests do not fail) every ROTATE_AFTER_MS.
//  - CSRF: every state-changing request made with the cookie must carry
//    `X-CSRF-Token` equal to the session's token (read from GET
//    /api/v1/auth/session, same origin only); SameSite=Lax already keeps the
//    cookie off cross-site POSTs, this covers same-site attackers and old
//    browsers. Requests with an Authorization header never use the cookie.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Principal } from "../auth/principal.ts";
import { randomToken, sha256Key } from "./upstream-oidc.ts";

export const SESSION_TTL_SECONDS = 3600;
const ROTATE_AFTER_MS = 10 * 60_000;
/** KV's shortest expiry: what a rotated-away value is still good for. */
const GRACE_SECONDS = 60;
const SESSION_PREFIX = "gw-session:";
export const CSRF_HEADER = "x-csrf-token";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface DashboardSession {
  principal: Principal;
  csrf: string;
  idToken: string | null;
  createdAt: number;
  rotatedAt: number;
  expiresAt: number;
}

type AnyContext = Context<{ Bindings: Env }>;

/** `__Host-` needs Secure; plain-http loopback (local runs) gets neither. */
export function cookieName(requestUrl: string): string {
  return secureOrigin(requestUrl) ? "__Host-mcpgw_session" : "mcpgw_session";
}

function secureOrigin(requestUrl: string): boolean {
  return new URL(requestUrl).protocol === "https:";
}

async function storageKey(value: string): Promise<string> {
  return `${SESSION_PREFIX}${await sha256Key(value)}`;
}

function writeCookie(c: AnyContext, value: string, maxAge: number): void {
  setCookie(c, cookieName(c.req.url), value, {
    path: "/",
    httpOnly: true,
    secure: secureOrigin(c.req.url),
    sameSite: "Lax",
    maxAge,
  });
}

export async function startSession(
  c: AnyContext,
  principal: Principal,
  idToken: string | null,
): Promise<void> {
  const now = Date.now();
  const session: DashboardSession = {
    principal: { ...principal, credential: "session" },
    csrf: randomToken(24),
    idToken,
    createdAt: now,
    rotatedAt: now,
    expiresAt: now + SESSION_TTL_SECONDS * 1000,
  };
  const value = randomToken(32);
  await c.env.OAUTH_KV.put(await storageKey(value), JSON.stringify(session), {
    expirationTtl: SESSION_TTL_SECONDS,
  });
  writeCookie(c, value, SESSION_TTL_SECONDS);
}

/** The session the request's cookie names (rotating it when due), or null. */
export async function currentSession(c: AnyContext): Promise<DashboardSession | null> {
  const value = getCookie(c, cookieName(c.req.url));
  if (!value || value.length > 100) return null;
  const key = await storageKey(value);
  const session = await c.env.OAUTH_KV.get<DashboardSession>(key, "json");
  const now = Date.now();
  if (!session || session.expiresAt <= now) return null;
  if (now - session.rotatedAt >= ROTATE_AFTER_MS) {
    const remaining = Math.floor((session.expiresAt - now) / 1000);
    if (remaining > GRACE_SECONDS) {
      const rotated: DashboardSession = { ...session, rotatedAt: now };
      const fresh = randomToken(32);
      await c.env.OAUTH_KV.put(await storageKey(fresh), JSON.stringify(rotated), {
        expirationTtl: remaining,
      });
      await c.env.OAUTH_KV.put(key, JSON.stringify(rotated), { expirationTtl: GRACE_SECONDS });
      writeCookie(c, fresh, remaining);
      return rotated;
    }
  }
  return session;
}

export async function endSession(c: AnyContext): Promise<DashboardSession | null> {
  const value = getCookie(c, cookieName(c.req.url));
  writeCookie(c, "", 0);
  if (!value || value.length > 100) return null;
  const key = await storageKey(value);
  const session = await c.env.OAUTH_KV.get<DashboardSession>(key, "json");
  await c.env.OAUTH_KV.delete(key);
  return session;
}

/** A state-changing request made with the cookie needs the session's CSRF token. */
export function csrfHolds(c: AnyContext, session: DashboardSession): boolean {
  if (!UNSAFE.has(c.req.method)) return true;
  const presented = c.req.header(CSRF_HEADER) ?? "";
  if (presented.length !== session.csrf.length) return false;
  const encoder = new TextEncoder();
  return crypto.subtle.timingSafeEqual(encoder.encode(presented), encoder.encode(session.csrf));
}
