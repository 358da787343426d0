// REST routes of per-user upstream credentials (3-legged OAuth; the logic is
// worker/oauth/connection-service.ts): list your connections, connect (the
// provider's authorization URL, as a redirect or as JSON), disconnect; admins
// list and revoke anyone's with `?user=`. Plus the provider's redirect back,
// GET /oauth/upstream/callback (no bearer token: the sealed state and the
// browser-binding cookie prove who started the flow).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { GatewayError } from "../http/errors.ts";
import { baseUrl } from "../http/resource.ts";
import { validationHook } from "../http/validation.ts";
import {
  CONNECT_COOKIE,
  CONNECT_TTL_SECONDS,
  CONNECTIONS_PAGE,
  type ConnectStart,
  UPSTREAM_CALLBACK_PATH,
} from "../oauth/connection-service.ts";
import { json, problem } from "./openapi-parts.ts";

const ConnectionView = z
  .object({
    serverId: z.string(),
    serverName: z.string(),
    serverPath: z.string(),
    provider: z.string().meta({ description: "Host of the provider whose account is connected" }),
    status: z.enum(["connected", "reconnect_required", "not_connected"]),
    scopes: z.array(z.string()),
    expiresAt: z.string().nullable().meta({ description: "When the current access token expires" }),
    connectedAt: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: "Connection" });

const UserConnectionView = z
  .object({
    serverId: z.string(),
    serverPath: z.string().nullable(),
    subject: z.string(),
    issuer: z.string(),
    userName: z.string().nullable(),
    status: z.enum(["connected", "reconnect_required"]),
    scopes: z.array(z.string()),
    expiresAt: z.string().nullable(),
    connectedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: "UserConnection" });

const ConnectionList = z
  .object({ items: z.array(ConnectionView) })
  .meta({ id: "ConnectionList", description: "Your connections (without `?user=`)" });
const UserConnectionList = z
  .object({ user: z.string(), items: z.array(UserConnectionView) })
  .meta({ id: "UserConnectionList", description: "One user's connections (admins, `?user=`)" });

const UserQuery = z.object({
  user: z.string().min(1).max(512).optional().meta({
    description: "Admins only (manage_scopes): the subject of the user whose connections to act on",
  }),
});
const ServerParam = z.object({ serverId: z.string().min(1).max(64) });

const tag = ["connections"];

const listRoute = createRoute({
  method: "get",
  path: "/connections",
  tags: tag,
  summary:
    "Servers with per-user (oauth) credentials and your connection to each; `?user=` lists a user's (admins)",
  request: { query: UserQuery },
  responses: {
    200: json(z.union([ConnectionList, UserConnectionList]), "The connections (never a token)"),
    401: problem("Missing or invalid credential"),
    403: problem("`user` given without manage_scopes"),
  },
});

const connectResponses = {
  401: problem("Missing or invalid credential"),
  404: problem("No such server (or you may not see it)"),
  409: problem("The server does not use per-user credentials"),
  503: problem("CREDENTIAL_ENCRYPTION_KEY is not set"),
};

const connectRedirectRoute = createRoute({
  method: "get",
  path: "/connections/{serverId}/connect",
  tags: tag,
  summary:
    "Connect your account: redirects to the provider (PKCE S256, sealed state bound to you and this browser)",
  request: { params: ServerParam },
  responses: {
    302: { description: "To the provider's authorization endpoint" },
    ...connectResponses,
  },
});

const connectJsonRoute = createRoute({
  method: "post",
  path: "/connections/{serverId}/connect",
  tags: tag,
  summary: "Connect your account: the provider's authorization URL to open in this browser",
  request: { params: ServerParam },
  responses: {
    200: json(
      z.object({ authorizationUrl: z.string() }).meta({ id: "ConnectStart" }),
      "Open this URL in the browser that made this request (a cookie binds the flow to it)",
    ),
    ...connectResponses,
  },
});

const disconnectRoute = createRoute({
  method: "delete",
  path: "/connections/{serverId}",
  tags: tag,
  summary: "Disconnect your account from the server (admins: `?user=` revokes that user's)",
  request: { params: ServerParam, query: UserQuery },
  responses: {
    204: { description: "Removed; the gateway no longer holds the token" },
    401: problem("Missing or invalid credential"),
    403: problem("`user` given without manage_scopes"),
    404: problem("No such connection"),
  },
});

type ConnectionContext = Context<{ Bindings: Env }>;

function origin(c: ConnectionContext): string {
  return baseUrl(c.var.config.publicUrl, c.req.url);
}

/** Binds the flow to this browser: the callback refuses a state that arrives without it. */
function bindBrowser(c: ConnectionContext, start: ConnectStart): void {
  setCookie(c, CONNECT_COOKIE, start.browserBinding, {
    path: UPSTREAM_CALLBACK_PATH,
    httpOnly: true,
    secure: new URL(c.req.url).protocol === "https:",
    sameSite: "Lax",
    maxAge: CONNECT_TTL_SECONDS,
  });
  c.header("cache-control", "no-store");
}

export function connectionRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { user } = c.req.valid("query");
    const { connections } = c.var.services;
    if (user !== undefined) {
      return c.json({ user, items: await connections.listForUser(c.var.principal, user) }, 200);
    }
    return c.json({ items: await connections.list(c.var.principal) }, 200);
  });

  app.openapi(connectRedirectRoute, async (c) => {
    const { serverId } = c.req.valid("param");
    const start = await c.var.services.connections.begin(c.var.principal, serverId, origin(c));
    bindBrowser(c, start);
    return c.redirect(start.authorizationUrl, 302);
  });

  app.openapi(connectJsonRoute, async (c) => {
    const { serverId } = c.req.valid("param");
    const start = await c.var.services.connections.begin(c.var.principal, serverId, origin(c));
    bindBrowser(c, start);
    return c.json({ authorizationUrl: start.authorizationUrl }, 200);
  });

  app.openapi(disconnectRoute, async (c) => {
    const { serverId } = c.req.valid("param");
    const { user } = c.req.valid("query");
    const { connections } = c.var.services;
    if (user !== undefined) await connections.revokeForUser(c.var.principal, user, serverId);
    else await connections.disconnect(c.var.principal, serverId);
    return c.body(null, 204);
  });

  return app;
}

/** The provider's redirect back (mounted before the authorization server's /oauth/* routes). */
export function upstreamCallbackRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.get(UPSTREAM_CALLBACK_PATH, async (c) => {
    const binding = getCookie(c, CONNECT_COOKIE);
    deleteCookie(c, CONNECT_COOKIE, { path: UPSTREAM_CALLBACK_PATH });
    const page = `${origin(c)}${CONNECTIONS_PAGE}`;
    c.header("cache-control", "no-store");
    try {
      const { serverId, background } = await c.var.services.connections.complete({
        state: c.req.query("state"),
        code: c.req.query("code"),
        error: c.req.query("error"),
        browserBinding: binding,
      });
      c.executionCtx.waitUntil(background);
      return c.redirect(`${page}?connected=${encodeURIComponent(serverId)}`, 303);
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      // Back to the dashboard, which shows why (the detail is safe to show).
      return c.redirect(`${page}?connect_error=${encodeURIComponent(error.detail ?? error.title)}`, 303);
    }
  });
  return app;
}
