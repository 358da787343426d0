// HTTP side of the gateway's authorization server. The library serves RFC 8414
// metadata, the token endpoint (codes, refresh with rotation, RFC 7009
// revocation) and dynamic client registration; these routes own what it
// leaves to applications: signing the person in (the upstream OIDC IdP, or the
// development login when there is none) and the consent page.
//
// Order of the interactive flow: GET /oauth/authorize validates the request
// (client, exact redirect URI, PKCE S256, resource) -> the IdP (state bound to
// this browser by the library) -> GET /oauth/callback verifies who signed in
// -> consent page (handle bound to this browser) -> POST /oauth/authorize
// completes the grant -> the client's redirect URI with code, state and iss.
// Consent comes after sign-in because it offers only scopes the person holds;
// nothing is granted before it.
import {
  AuthorizationError,
  type AuthRequest,
  authorizationErrorRedirect,
  CimdFetchError,
  type OAuthAuthorizationServer,
  type OAuthHelpers,
} from "@cloudflare/workers-oauth-provider";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { devCredentialsMatch } from "../auth/dev-login.ts";
import { DEFAULT_TENANT, type Principal } from "../auth/principal.ts";
import { DEV_ADMIN_GROUP } from "../auth/token-service.ts";
import { GatewayError } from "../http/errors.ts";
import { baseUrl } from "../http/resource.ts";
import {
  authorizationServer,
  canonicalResource,
  grantOf,
  OAUTH_PATHS,
  oauthEnabled,
  PROTOCOL_SCOPES,
} from "../oauth/authorization-server.ts";
import { grantIdentity, grantUserId } from "../oauth/grant-identity.ts";
import { oidcClient } from "../oauth/oidc-client.ts";
import { type ConsentView, consentPage, errorPage } from "../oauth/pages.ts";
import { OidcError, randomToken, sha256Key } from "../oauth/upstream-oidc.ts";
import { effectiveScopes } from "../policy/access-policy.ts";
import { auditAuth } from "./tokens.ts";

type OAuthContext = Context<{ Bindings: Env }>;

/** What the consent POST needs that the library does not keep: the resource, who signed in, the offer. */
interface PendingConsent {
  resource: string;
  /** null: the development login's fields were shown. */
  user: Principal | null;
  view: Omit<ConsentView, "handle" | "error">;
  requested: string[];
}

interface UpstreamData {
  verifier: string;
  nonce: string;
}

const METADATA_PATH = "/.well-known/oauth-authorization-server";
const PENDING_TTL_SECONDS = 600;
const PENDING_PREFIX = "gw-consent:";
const MAX_GRANT_PAGES = 10;

export function oauthRoutes() {
  const app = new Hono<{ Bindings: Env }>();

  // Everything here exists only when the authorization server is configured.
  const enabled: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
    if (!oauthEnabled(c.env, c.var.config, base(c))) {
      throw new GatewayError("not-found", { detail: "This gateway is not an OAuth authorization server" });
    }
    await next();
  };
  app.use(METADATA_PATH, enabled);
  app.use("/oauth/*", enabled);

  app.on(["GET", "HEAD", "OPTIONS"], METADATA_PATH, async (c) => serve(c, await serverFor(c, [])));
  app.on(["POST", "OPTIONS"], OAUTH_PATHS.register, async (c) => serve(c, await serverFor(c, [])));
  app.on(["POST", "OPTIONS"], OAUTH_PATHS.token, async (c) =>
    serve(c, await serverFor(c, await tokenRequestResources(c))),
  );

  app.get(OAUTH_PATHS.authorize, (c) => guarded(c, () => startAuthorization(c)));
  app.post(OAUTH_PATHS.authorize, (c) => guarded(c, () => answerConsent(c)));
  app.get(OAUTH_PATHS.callback, (c) => guarded(c, () => finishSignIn(c)));

  return app;
}

/** The library answers its own endpoints (CORS, errors, no-store) from the raw request. */
function serve(c: OAuthContext, server: OAuthAuthorizationServer<Env>): Promise<Response> {
  return server.fetch(c.req.raw, c.env, c.executionCtx as ExecutionContext);
}

function base(c: OAuthContext): string {
  return baseUrl(c.var.config.publicUrl, c.req.url);
}

async function serverFor(c: OAuthContext, resources: string[], tenant = DEFAULT_TENANT) {
  const { oauth } = c.var.config;
  const policy = await c.var.services.access.policyFor(tenant);
  return authorizationServer({
    base: base(c),
    resources,
    scopes: [...policy.knownScopes].sort(),
    accessTokenTtlSeconds: oauth.accessTokenTtlSeconds,
    refreshTokenTtlSeconds: oauth.refreshTokenTtlSeconds,
  });
}

async function helpers(c: OAuthContext, resources: string[], tenant = DEFAULT_TENANT): Promise<OAuthHelpers> {
  return (await serverFor(c, resources, tenant)).getOAuthApi(c.env);
}

/** A token request concerns `/mcp`, the resource it names, and the resource of the grant it presents. */
async function tokenRequestResources(c: OAuthContext): Promise<string[]> {
  const form = await c.req.raw
    .clone()
    .formData()
    .catch(() => null);
  if (!form) return [];
  const directory = c.var.services.directory;
  const resources: string[] = [];
  const named = await canonicalResource(base(c), stringField(form, "resource"), directory);
  if (named) resources.push(named);
  for (const field of ["code", "refresh_token", "token", "subject_token"]) {
    const presented = grantOf(stringField(form, field) ?? "");
    if (!presented) continue;
    const stored = await grantResource(c, presented.userId, presented.grantId);
    const resource = await canonicalResource(base(c), stored, directory);
    if (resource) resources.push(resource);
  }
  return resources;
}

async function grantResource(c: OAuthContext, userId: string, grantId: string): Promise<string | null> {
  const oauth = await helpers(c, []);
  let cursor: string | undefined;
  for (let page = 0; page < MAX_GRANT_PAGES; page++) {
    const listed = await oauth.listUserGrants(userId, cursor ? { cursor } : {});
    const grant = listed.items.find((item) => item.id === grantId);
    if (grant) return typeof grant.resource === "string" ? grant.resource : null;
    if (!listed.cursor) return null;
    cursor = listed.cursor;
  }
  return null;
}

function stringField(form: FormData, name: string): string | null {
  const value = form.get(name);
  return typeof value === "string" ? value : null;
}

async function startAuthorization(c: OAuthContext): Promise<Response> {
  const requested = new URL(c.req.url).searchParams.get("resource");
  const resource = await canonicalResource(base(c), requested, c.var.services.directory);
  const oauth = await helpers(c, resource ? [resource] : []);
  const request = await oauth.parseAuthRequest(c.req.raw);
  const oidc = oidcClient(c.var.config);
  if (!oidc) return consent(c, oauth, request, null, new Headers());
  const data: UpstreamData = { verifier: randomToken(32), nonce: randomToken(16) };
  const { state, headers } = await oauth.beginUpstream(request, { data });
  headers.set(
    "location",
    await oidc.authorizationUrl({
      redirectUri: `${base(c)}${OAUTH_PATHS.callback}`,
      state,
      nonce: data.nonce,
      codeVerifier: data.verifier,
    }),
  );
  return new Response(null, { status: 302, headers });
}

async function finishSignIn(c: OAuthContext): Promise<Response> {
  const oidc = oidcClient(c.var.config);
  if (!oidc) throw new GatewayError("not-found", { detail: "No identity provider is configured" });
  const oauth = await helpers(c, []);
  const { request, data, headers } = await oauth.finishUpstream<UpstreamData>(c.req.raw);
  const params = new URL(c.req.url).searchParams;
  const code = params.get("code");
  if (params.get("error") || !code) {
    headers.set("location", authorizationErrorRedirect(request, "access_denied"));
    return new Response(null, { status: 302, headers });
  }
  const redirectUri = `${base(c)}${OAUTH_PATHS.callback}`;
  const tokens = await oidc.exchangeCode({ code, codeVerifier: data.verifier, redirectUri });
  const { principal } = await oidc.identify(tokens, data.nonce);
  return consent(c, oauth, request, principal, headers);
}

/** The development admin, exactly as the development login's tokens name it. */
function devUser(c: OAuthContext): Principal | null {
  const devLogin = c.var.config.auth.devLogin;
  if (!devLogin) return null;
  return {
    subject: devLogin.username,
    issuer: base(c),
    tenant: DEFAULT_TENANT,
    groups: [DEV_ADMIN_GROUP],
    scopes: [],
    kind: "user",
    name: devLogin.username,
  };
}

async function heldScopes(c: OAuthContext, user: Principal): Promise<Set<string>> {
  const policy = await c.var.services.access.policyFor(user.tenant);
  return new Set(effectiveScopes(policy, user).filter((scope) => policy.knownScopes.has(scope)));
}

async function consent(
  c: OAuthContext,
  oauth: OAuthHelpers,
  request: AuthRequest,
  user: Principal | null,
  headers: Headers,
): Promise<Response> {
  const details = await oauth.describeConsent(request);
  const asked = user ?? devUser(c);
  if (!asked) throw new GatewayError("not-found", { detail: "Nobody can sign in here" });
  const held = await heldScopes(c, asked);
  const requested = request.scope.filter((scope) => !PROTOCOL_SCOPES.includes(scope));
  const view: PendingConsent["view"] = {
    details,
    user: user ? { name: user.name ?? user.subject, groups: user.groups } : null,
    offered: requested.filter((scope) => held.has(scope)),
    unavailable: requested.filter((scope) => !held.has(scope)),
    fullAccess: requested.length === 0,
    resource: request.resource ?? "",
  };
  const transaction = await oauth.beginConsent(request);
  const pending: PendingConsent = { resource: request.resource ?? "", user, view, requested };
  await c.env.OAUTH_KV.put(await pendingKey(transaction.handle), JSON.stringify(pending), {
    expirationTtl: PENDING_TTL_SECONDS,
  });
  for (const [name, value] of headers) if (name === "set-cookie") transaction.headers.append(name, value);
  return htmlResponse(consentPage({ ...view, handle: transaction.handle }), 200, transaction.headers);
}

async function answerConsent(c: OAuthContext): Promise<Response> {
  const form = await c.req.raw.clone().formData();
  const handle = stringField(form, "handle") ?? "";
  const key = await pendingKey(handle);
  const pending = await c.env.OAUTH_KV.get<PendingConsent>(key, "json");
  if (!pending) {
    throw new AuthorizationError("invalid_request", {
      description: "This page has expired or was already used; start signing in again from your app",
    });
  }
  const oauth = await helpers(c, [pending.resource], pending.user?.tenant);
  if (stringField(form, "decision") !== "approve") {
    const denied = await oauth.denyConsent(c.req.raw, handle);
    await c.env.OAUTH_KV.delete(key);
    return new Response(null, { status: 302, headers: denied.headers });
  }
  let user = pending.user;
  if (!user) {
    const devLogin = c.var.config.auth.devLogin;
    const username = stringField(form, "username") ?? "";
    const password = stringField(form, "password") ?? "";
    if (!devLogin || !(await devCredentialsMatch(devLogin, username, password))) {
      // The handle is not used up: the same page again, with the error.
      return htmlResponse(
        consentPage({ ...pending.view, handle, error: "Wrong user name or password" }),
        401,
        new Headers({ "x-frame-options": "DENY", "content-security-policy": "frame-ancestors 'none'" }),
      );
    }
    user = devUser(c) as Principal;
  }
  const held = await heldScopes(c, user);
  const ticked = form.getAll("scope").filter((scope): scope is string => typeof scope === "string");
  const narrowed = pending.requested.length > 0;
  const granted = narrowed
    ? pending.requested.filter((scope) => held.has(scope) && ticked.includes(scope))
    : [];
  const protocol = pending.view.details.scope.filter((scope) => PROTOCOL_SCOPES.includes(scope));
  const approved = await oauth.approveConsent(c.req.raw, handle, { scope: [...granted, ...protocol] });
  await c.env.OAUTH_KV.delete(key);
  const { redirectTo } = await oauth.completeAuthorization({
    request: approved.request,
    userId: await grantUserId(user),
    // Plaintext in storage (used to list grants): nothing personal.
    metadata: { tenant: user.tenant },
    scope: [...granted, ...protocol],
    props: grantIdentity(user, narrowed, granted),
  });
  auditAuth(c, {
    tenant: user.tenant,
    subject: user.subject,
    issuer: user.issuer,
    action: "oauth.authorize",
    decision: "allow",
    detail: { clientId: approved.request.clientId, resource: pending.resource, scopes: granted },
  });
  approved.headers.set("location", redirectTo);
  return new Response(null, { status: 302, headers: approved.headers });
}

/** Library and sign-in failures become a redirect to the client only when the library says it is safe. */
async function guarded(c: OAuthContext, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AuthorizationError) {
      if (error.redirectTo)
        return new Response(null, { status: 302, headers: { location: error.redirectTo } });
      return htmlResponse(errorPage("This sign-in cannot continue", error.description), 400);
    }
    if (error instanceof CimdFetchError) {
      return htmlResponse(
        errorPage("This app could not be verified", "Its metadata document is unavailable"),
        400,
      );
    }
    if (error instanceof OidcError) {
      console.warn(
        JSON.stringify({
          level: "warn",
          event: "oidc_sign_in_failed",
          requestId: c.get("requestId"),
          internal: error.internal,
        }),
      );
      return htmlResponse(errorPage("Signing in failed", error.message), 502);
    }
    throw error;
  }
}

function htmlResponse(html: string, status: number, headers = new Headers()): Response {
  headers.set("content-type", "text/html; charset=utf-8");
  headers.set("cache-control", "no-store");
  headers.set("referrer-policy", "no-referrer");
  return new Response(html, { status, headers });
}

async function pendingKey(handle: string): Promise<string> {
  return `${PENDING_PREFIX}${await sha256Key(handle)}`;
}
