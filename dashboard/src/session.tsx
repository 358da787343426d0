// The signed-in session: the bearer token, who it stands for (whoami), and an
// API client that carries it. The token lives in sessionStorage, not
// localStorage: it is a bearer credential, so it should last no longer than
// the tab that holds it (closing the tab signs out, which matters on shared
// machines) and should not leak into every other tab and window of the origin.
// Script on the page can read either storage, so neither is a defence against
// XSS; the gateway's short token lifetimes and revocation are. The one cookie
// is the single sign-on session (HttpOnly, set by the gateway): then the
// "token" is `cookie:<CSRF token>` and every state-changing request carries
// the CSRF token (see api.ts), so the cookie alone cannot change anything.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { ApiError, COOKIE_SESSION_PREFIX, GatewayApi, type WhoAmI } from "./api.ts";
import { API_BASE_URL } from "./config.ts";

const TOKEN_KEY = "mcpgw.token";

export type SessionStatus = "signed-out" | "checking" | "signed-in";

export interface Session {
  status: SessionStatus;
  api: GatewayApi;
  who: WhoAmI | null;
  /** Why the last sign-in attempt or session ended, for the sign-in page. */
  notice: string | null;
  signIn(token: string): Promise<void>;
  signOut(notice?: string): void;
}

const SessionContext = createContext<Session | null>(null);

function storedToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string | null): void {
  try {
    if (token === null) window.sessionStorage.removeItem(TOKEN_KEY);
    else window.sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage unavailable: the session lasts as long as the page.
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(storedToken);
  const [who, setWho] = useState<WhoAmI | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // Without a stored token, ask once whether this browser has a single sign-on session
  // (only when the gateway serves the dashboard: the cookie belongs to its origin).
  const [probing, setProbing] = useState(token === null && API_BASE_URL === "");

  const signOut = useCallback(
    (why?: string) => {
      const cookieSession = token?.startsWith(COOKIE_SESSION_PREFIX) ?? false;
      storeToken(null);
      setToken(null);
      setWho(null);
      setNotice(why ?? null);
      if (!cookieSession || why !== undefined) return;
      // A deliberate sign-out ends the cookie session here and, when it can, at the identity provider.
      new GatewayApi(API_BASE_URL, token)
        .logout()
        .then(({ endSessionUrl }) => {
          if (endSessionUrl) window.location.assign(endSessionUrl);
        })
        .catch(() => {});
    },
    [token],
  );

  const api = useMemo(
    () =>
      new GatewayApi(API_BASE_URL, token, () =>
        signOut("Your session has expired or was revoked. Please sign in again."),
      ),
    [token, signOut],
  );

  // A stored token (page reload) is checked once before anything is shown.
  useEffect(() => {
    if (token === null || who !== null) return;
    let cancelled = false;
    api.whoami().then(
      (principal) => {
        if (!cancelled) setWho(principal);
      },
      (error: unknown) => {
        if (!cancelled) signOut(error instanceof ApiError ? error.message : String(error));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [api, token, who, signOut]);

  useEffect(() => {
    if (!probing) return;
    let cancelled = false;
    new GatewayApi(API_BASE_URL, null)
      .sessionInfo()
      .then(async (info) => {
        if (cancelled || !info.signedIn || !info.csrfToken) return;
        const cookieToken = `${COOKIE_SESSION_PREFIX}${info.csrfToken}`;
        const principal = await new GatewayApi(API_BASE_URL, cookieToken).whoami();
        if (cancelled) return;
        storeToken(cookieToken);
        setWho(principal);
        setToken(cookieToken);
      })
      .catch(() => {})
      .finally(() => {
        if (!cancelled) setProbing(false);
      });
    return () => {
      cancelled = true;
    };
  }, [probing]);

  const signIn = useCallback(async (candidate: string) => {
    const trimmed = candidate.trim();
    // Throws ApiError (e.g. 401) to the sign-in form, which shows it.
    const principal = await new GatewayApi(API_BASE_URL, trimmed).whoami();
    storeToken(trimmed);
    setNotice(null);
    setWho(principal);
    setToken(trimmed);
  }, []);

  const status: SessionStatus =
    token === null ? (probing ? "checking" : "signed-out") : who === null ? "checking" : "signed-in";
  const value = useMemo<Session>(
    () => ({ status, api, who, notice, signIn, signOut }),
    [status, api, who, notice, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
