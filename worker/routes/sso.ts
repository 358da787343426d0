// REST side of the dashboard's single sign-on (dashboard-session.ts): start
// the sign-in at the IdP, its callback, the current session (for the SPA: is
// there one, and its CSRF token), logout (local, and the IdP's end-session URL
// for RP-initiated logout). Plus the middleware that turns the session cookie
// into the request's principal.
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { GatewayError } from "../http/errors.ts";
import { problemResponse } from "../http/problem.ts";
import { baseUrl } from "../http/resource.ts";
import { validationHook } from "../http/validation.ts";
import {
  cookieName,
  csrfHolds,
  currentSession,
  endSession,
  startSession,
} from "../oauth/dashboard-session.ts";
import { oidcClient } from "../oauth/oidc-client.ts";
import { OidcError, randomToken, sha256Key } from "../oauth/upstream-oidc.ts";
import { json, problem } from "./openapi-parts.ts";

export const SSO_PATHS = {
  login: "/api/v1/auth/sso/login",
  callback: "/api/v1/auth/sso/callback",
  session: "/api/v1/auth/session",
  logout: "/api/v1/auth/logout",
} as const;

const FLOW_PREFIX = "gw-sso:";
const FLOW_TTL_SECONDS = 600;
const FLOW_COOKIE = "mcpgw_sso";

interface SignInFlow {
  verifier: string;
  nonce: string;
  returnTo: string;
}

type AnyContext = Context<{ Bindings: Env }>;

/** Cookie sessions for /api/v1: only when no Authorization header is sent; CSRF on unsafe methods. */
export function sessionCookieAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async function sessionCookieAuthMiddleware(c, next) {
    if (
      c.req.header("authorization") !== undefined ||
      !getCookie(c, cookieName(c.req.url)) ||
      !c.env.OAUTH_KV
    ) {
      return next();
    }
    const session = await currentSession(c);
    if (!session) return next();
    if (!csrfHolds(c, session)) {
      return problemResponse(
        new GatewayError("forbidden", { detail: "This request needs the session's X-CSRF-Token header" }),
        c.get("requestId"),
      );
    }
    c.set("principal", session.principal);
    await next();
  };
}

const loginRoute = createRoute({
  method: "get",
  path: "/auth/sso/login",
  tags: ["auth"],
  summary: "Dashboard single sign-on: redirects the browser to the identity provider",
  request: { query: z.object({ return: z.string().max(500).optional() }) },
  responses: {
    302: { description: "To the identity provider (code flow with PKCE)" },
    404: problem("No identity provider is configured"),
  },
});

const callbackRoute = createRoute({
  method: "get",
  path: "/auth/sso/callback",
  tags: ["auth"],
  summary: "Where the identity provider sends the browser back; starts the session cookie",
  request: {
    query: z.object({
      code: z.string().max(4000).optional(),
      state: z.string().max(500).optional(),
      error: z.string().max(200).optional(),
    }),
  },
  responses: {
    302: { description: "To the dashboard, with the session cookie" },
    401: problem("Unknown, expired or foreign sign-in, or declined at the identity provider"),
    502: problem("The identity provider's answer could not be used"),
  },
});

const SessionView = z
  .object({
    signedIn: z.boolean(),
    csrfToken: z.string().optional().meta({ description: "Send as X-CSRF-Token on state-changing requests" }),
    expiresAt: z.string().optional(),
  })
  .meta({ id: "DashboardSession" });

const sessionRoute = createRoute({
  method: "get",
  path: "/auth/session",
  tags: ["auth"],
  summary: "The dashboard session of this browser's cookie (signedIn false without one)",
  responses: { 200: json(SessionView, "The session") },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/auth/logout",
  tags: ["auth"],
  summary: "Ends the session cookie; returns the identity provider's logout URL when it has one",
  responses: {
    200: json(
      z.object({ endSessionUrl: z.string().nullable() }).meta({ id: "Logout" }),
      "Signed out here; visit endSessionUrl to sign out at the identity provider",
    ),
    403: problem("Missing X-CSRF-Token"),
  },
});

function base(c: AnyContext): string {
  return baseUrl(c.var.config.publicUrl, c.req.url);
}

/** Only a path of this origin: never `//host` or a URL. */
function safeReturn(value: string | undefined): string {
  return value && /^\/(?![/\\])[\x21-\x7e]*$/.test(value) ? value : "/";
}

async function flowKey(state: string): Promise<string> {
  return `${FLOW_PREFIX}${await sha256Key(state)}`;
}

export function ssoRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(loginRoute, async (c) => {
    const oidc = oidcClient(c.var.config);
    if (!oidc || !c.env.OAUTH_KV) {
      throw new GatewayError("not-found", { detail: "No identity provider is configured" });
    }
    const state = randomToken(24);
    const flow: SignInFlow = {
      verifier: randomToken(32),
      nonce: randomToken(16),
      returnTo: safeReturn(c.req.valid("query").return),
    };
    await c.env.OAUTH_KV.put(await flowKey(state), JSON.stringify(flow), { expirationTtl: FLOW_TTL_SECONDS });
    // Binds the sign-in to this browser: a stolen `state` is useless elsewhere.
    setCookie(c, FLOW_COOKIE, state, {
      path: SSO_PATHS.callback,
      httpOnly: true,
      secure: new URL(c.req.url).protocol === "https:",
      sameSite: "Lax",
      maxAge: FLOW_TTL_SECONDS,
    });
    const location = await oidc.authorizationUrl({
      redirectUri: `${base(c)}${SSO_PATHS.callback}`,
      state,
      nonce: flow.nonce,
      codeVerifier: flow.verifier,
    });
    c.header("cache-control", "no-store");
    return c.redirect(location, 302);
  });

  app.openapi(callbackRoute, async (c) => {
    const oidc = oidcClient(c.var.config);
    if (!oidc || !c.env.OAUTH_KV) {
      throw new GatewayError("not-found", { detail: "No identity provider is configured" });
    }
    const { code, state, error } = c.req.valid("query");
    const bound = getCookie(c, FLOW_COOKIE);
    deleteCookie(c, FLOW_COOKIE, { path: SSO_PATHS.callback });
    if (!state || state !== bound) {
      throw new GatewayError("unauthorized", { detail: "This sign-in was not started in this browser" });
    }
    const key = await flowKey(state);
    const flow = await c.env.OAUTH_KV.get<SignInFlow>(key, "json");
    await c.env.OAUTH_KV.delete(key);
    if (!flow)
      throw new GatewayError("unauthorized", { detail: "This sign-in has expired or was already used" });
    if (error || !code)
      throw new GatewayError("unauthorized", { detail: "The identity provider declined the sign-in" });
    try {
      const tokens = await oidc.exchangeCode({
        code,
        codeVerifier: flow.verifier,
        redirectUri: `${base(c)}${SSO_PATHS.callback}`,
      });
      const { principal } = await oidc.identify(tokens, flow.nonce);
      await startSession(c, principal, tokens.idToken);
    } catch (caught) {
      if (caught instanceof OidcError) {
        throw new GatewayError("upstream", { detail: caught.message, internal: caught.internal });
      }
      throw caught;
    }
    c.header("cache-control", "no-store");
    return c.redirect(flow.returnTo, 302);
  });

  app.openapi(sessionRoute, async (c) => {
    c.header("cache-control", "no-store");
    const session = c.env.OAUTH_KV ? await currentSession(c) : null;
    if (!session) return c.json({ signedIn: false }, 200);
    return c.json(
      { signedIn: true, csrfToken: session.csrf, expiresAt: new Date(session.expiresAt).toISOString() },
      200,
    );
  });

  app.openapi(logoutRoute, async (c) => {
    const session = c.env.OAUTH_KV ? await currentSession(c) : null;
    if (session) {
      const presented = c.req.header("x-csrf-token");
      if (presented !== session.csrf) {
        throw new GatewayError("forbidden", {
          detail: "This request needs the session's X-CSRF-Token header",
        });
      }
    }
    const ended = c.env.OAUTH_KV ? await endSession(c) : null;
    const oidc = oidcClient(c.var.config);
    let endSessionUrl: string | null = null;
    if (ended && oidc) {
      endSessionUrl = await oidc
        .endSessionUrl({ idTokenHint: ended.idToken ?? undefined, postLogoutRedirectUri: `${base(c)}/` })
        .catch(() => null);
    }
    c.header("cache-control", "no-store");
    return c.json({ endSessionUrl }, 200);
  });

  return app;
}
