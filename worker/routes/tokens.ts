// REST routes for tokens the gateway vends: personal access tokens (mint,
// list, revoke; authenticated) and the development login (public, only with
// DEV_MODE on). HTTP in, service call, JSON out.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { unauthorized } from "../auth/authenticate.ts";
import { devCredentialsMatch } from "../auth/dev-login.ts";
import { AuthError } from "../auth/errors.ts";
import { DEFAULT_TENANT, type Principal } from "../auth/principal.ts";
import type { MintedToken } from "../auth/token-service.ts";
import { GatewayError } from "../http/errors.ts";
import { requireJsonBody } from "../http/json-body.ts";
import { validationHook } from "../http/validation.ts";
import { authEvent } from "../observability/audit-events.ts";
import { REGISTRY_ACTIONS, type RegistryAction } from "../policy/scopes-document.ts";
import type { AccessService } from "../registry/access-service.ts";
import type { VendedTokenRecord } from "../store/token-store.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";

const ScopeName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "no spaces or control characters");

export const TokenCreateInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100).meta({ example: "ci-pipeline" }),
    scopes: z
      .array(ScopeName)
      .min(1)
      .max(100)
      .meta({ description: "Must be a subset of your own effective scopes" }),
    expiresIn: z
      .int()
      .min(60)
      .optional()
      .meta({ description: "Lifetime in seconds (default 30 days, at most TOKEN_MAX_LIFETIME_SECONDS)" }),
  })
  .meta({ id: "TokenCreate" });

const TokenView = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    groups: z.array(z.string()),
    createdAt: z.string(),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    active: z.boolean(),
  })
  .meta({ id: "Token" });

const MintedView = TokenView.extend({
  token: z.string().meta({ description: "The bearer token; shown only in this response" }),
}).meta({ id: "MintedToken" });

const DevLoginInput = z
  .strictObject({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) })
  .meta({ id: "DevLogin" });

const AccessTokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.int(),
  })
  .meta({ id: "AccessToken" });

const tag = ["tokens"];

const mintRoute = createRoute({
  method: "post",
  path: "/tokens",
  tags: tag,
  summary: "Mint a personal access token (scopes a subset of yours, bounded lifetime)",
  middleware: [requireJsonBody()] as const,
  request: { body: jsonBody(TokenCreateInput) },
  responses: {
    201: json(MintedView, "The token (shown once) and its record"),
    401: problem("Missing or invalid credential"),
    403: problem("A scope you do not hold, or minting with a personal access token"),
    415: problem("Body is not JSON"),
    422: problem("Invalid fields (including a lifetime over the maximum)"),
    429: problem("Too many tokens minted in the last minute"),
    503: problem("This gateway has no signing key"),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/tokens",
  tags: tag,
  summary: "List your tokens (newest first, at most 100; never the token values)",
  responses: {
    200: json(z.object({ items: z.array(TokenView) }).meta({ id: "TokenList" }), "Your tokens"),
    401: problem("Missing or invalid credential"),
  },
});

const revokeRoute = createRoute({
  method: "delete",
  path: "/tokens/{id}",
  tags: tag,
  summary: "Revoke one of your tokens (effective on every isolate within seconds)",
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    204: { description: "Revoked (also when it already was)" },
    401: problem("Missing or invalid credential"),
    404: problem("You have no token with this id"),
  },
});

const devLoginRoute = createRoute({
  method: "post",
  path: "/auth/dev-login",
  tags: ["auth"],
  summary: "Development only: exchange the dev admin user name and password for a gateway token",
  middleware: [requireJsonBody()] as const,
  request: { body: jsonBody(DevLoginInput) },
  responses: {
    200: json(AccessTokenResponse, "A token standing for the admin group"),
    401: problem("Wrong user name or password"),
    404: problem("Development login is not enabled (DEV_MODE is off)"),
    429: problem("Too many logins in the last minute"),
  },
});

const WhoAmI = z
  .object({
    subject: z.string(),
    issuer: z.string(),
    tenant: z.string(),
    groups: z.array(z.string()),
    scopes: z.array(z.string()),
    kind: z.enum(["user", "machine"]),
    name: z.string().optional(),
    credential: z.enum(["idp", "personal-token", "dev-login", "oauth", "session"]).optional(),
    effectiveScopes: z.array(z.string()).meta({ description: "Scopes from your groups plus your token's" }),
    permissions: z
      .record(z.enum(REGISTRY_ACTIONS), z.object({ all: z.boolean(), names: z.array(z.string()) }))
      .meta({
        description:
          "Registry actions you hold: on every server/agent (`all`) or on the named paths. For user interfaces; the API checks every request anyway.",
      }),
  })
  .meta({ id: "WhoAmI" });

const AuthMethods = z
  .object({
    devLogin: z.boolean().meta({ description: "POST /api/v1/auth/dev-login is enabled (development only)" }),
    identityProviders: z.array(z.object({ issuer: z.string(), displayName: z.string() })),
    singleSignOn: z
      .object({ displayName: z.string(), loginUrl: z.string() })
      .nullable()
      .meta({ description: "Dashboard sign-in at the identity provider (OIDC_ISSUER), when configured" }),
  })
  .meta({ id: "AuthMethods" });

const methodsRoute = createRoute({
  method: "get",
  path: "/auth/methods",
  tags: ["auth"],
  summary: "How one can sign in to this gateway (no credential; for sign-in pages)",
  responses: { 200: json(AuthMethods, "The sign-in methods") },
});

const whoamiRoute = createRoute({
  method: "get",
  path: "/auth/whoami",
  tags: ["auth"],
  summary: "Who the gateway thinks you are: the principal your token maps to",
  responses: {
    200: json(WhoAmI, "Your principal and effective scopes"),
    401: problem("Missing or invalid credential"),
  },
});

type TokenContext = Context<{ Bindings: Env }>;

/** Sign-in events go to the audit log (category `auth`), after the response. Token changes are admin events (routes/admin-audit.ts). */
export function auditAuth(
  c: TokenContext,
  event: {
    tenant: string;
    subject: string | null;
    issuer: string | null;
    action: "auth.dev-login" | "oauth.authorize";
    decision: "allow" | "deny";
    detail?: Record<string, unknown>;
  },
): void {
  const { tenant, subject, issuer, ...decision } = event;
  c.var.services.auditor.record(c.executionCtx, [
    authEvent({ tenant, subject, issuer }, c.get("requestId") ?? "", decision),
  ]);
}

/** Every registry action with where the principal holds it (nowhere: `{all: false, names: []}`). */
async function permissionsOf(
  access: AccessService,
  principal: Principal,
): Promise<Record<RegistryAction, { all: boolean; names: string[] }>> {
  const entries = await Promise.all(
    REGISTRY_ACTIONS.map(async (action) => {
      const grant = await access.resources(principal, action);
      return [action, grant.all ? { all: true, names: [] } : { all: false, names: grant.names }] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<RegistryAction, { all: boolean; names: string[] }>;
}

function view(record: VendedTokenRecord, now: number) {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    groups: record.groups,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    revokedAt: record.revokedAt,
    active: record.revokedAt === null && Date.parse(record.expiresAt) > now,
  };
}

function mintedView(minted: MintedToken) {
  return { ...view(minted.record, Date.now()), token: minted.token };
}

export function tokenRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(mintRoute, async (c) => {
    const principal = c.get("principal");
    const services = c.var.services;
    const minted = await services.tokens.mint(
      principal,
      c.req.valid("json"),
      await services.access.effectiveScopesOf(principal),
      services.authenticator.issuerFor(c.req.url),
    );
    c.header("cache-control", "no-store");
    return c.json(mintedView(minted), 201);
  });

  app.openapi(listRoute, async (c) => {
    const records = await c.var.services.tokens.list(c.get("principal"));
    const now = Date.now();
    return c.json({ items: records.map((record) => view(record, now)) }, 200);
  });

  app.openapi(revokeRoute, async (c) => {
    const principal = c.get("principal");
    const { id } = c.req.valid("param");
    await c.var.services.tokens.revoke(principal, id);
    return c.body(null, 204);
  });

  app.openapi(whoamiRoute, async (c) => {
    const { tokenId: _tokenId, ...principal } = c.get("principal");
    const [effectiveScopes, permissions] = await Promise.all([
      c.var.services.access.effectiveScopesOf(c.get("principal")),
      permissionsOf(c.var.services.access, c.get("principal")),
    ]);
    return c.json({ ...principal, effectiveScopes, permissions }, 200);
  });

  app.openapi(methodsRoute, (c) => {
    const { auth, oauth } = c.var.config;
    const { devLogin, issuers } = auth;
    const identityProviders = issuers.map(({ issuer, displayName }) => ({ issuer, displayName }));
    const oidc = oauth.oidc;
    const singleSignOn =
      oidc && c.env.OAUTH_KV
        ? {
            displayName:
              issuers.find((entry) => entry.issuer === oidc.issuer)?.displayName ?? new URL(oidc.issuer).host,
            loginUrl: "/api/v1/auth/sso/login",
          }
        : null;
    return c.json({ devLogin: devLogin !== null, identityProviders, singleSignOn }, 200);
  });

  app.openapi(devLoginRoute, async (c) => {
    const devLogin = c.var.config.auth.devLogin;
    if (!devLogin) throw new GatewayError("not-found", { detail: "Development login is not enabled" });
    const { username, password } = c.req.valid("json");
    if (!(await devCredentialsMatch(devLogin, username, password))) {
      // Audited (rate-limited per source) by unauthorized().
      return unauthorized(
        c,
        new AuthError("wrong user name or password", { code: "invalid_request" }),
        "auth.dev-login",
      ) as never;
    }
    const services = c.var.services;
    const minted = await services.tokens.devLogin(
      devLogin.username,
      DEFAULT_TENANT,
      services.authenticator.issuerFor(c.req.url),
    );
    auditAuth(c, {
      tenant: DEFAULT_TENANT,
      subject: devLogin.username,
      issuer: services.authenticator.issuerFor(c.req.url),
      action: "auth.dev-login",
      decision: "allow",
      detail: { tokenId: minted.record.id },
    });
    const expiresIn = Math.round((Date.parse(minted.record.expiresAt) - Date.now()) / 1000);
    c.header("cache-control", "no-store");
    return c.json({ access_token: minted.token, token_type: "Bearer" as const, expires_in: expiresIn }, 200);
  });

  return app;
}
