// The gateway as an OAuth 2.1 authorization server for MCP clients, built on
// @cloudflare/workers-oauth-provider (the library owns metadata, the token,
// registration and revocation endpoints, PKCE S256, refresh rotation, CIMD,
// RFC 8707 and RFC 9207; worker/routes/oauth.ts owns sign-in and consent).
//
// The library fixes its resource registry at construction, while the gateway's
// resources are `/mcp` plus one `/{path}/mcp` per registered server, which
// change at run time. So an instance is built per request for exactly the
// resources that request can concern (cached per isolate): `/mcp` and the
// server the request names (the `resource` parameter, or the grant behind the
// presented code or refresh token). Every token is bound to one resource.
import { OAuthAuthorizationServer } from "@cloudflare/workers-oauth-provider";
import { resourcePath } from "../http/resource.ts";
import type { ServerDirectory } from "../registry/server-directory.ts";
import type { OAuthConfigView } from "./settings.ts";

export const OAUTH_PATHS = {
  authorize: "/oauth/authorize",
  token: "/oauth/token",
  register: "/oauth/register",
  callback: "/oauth/callback",
} as const;

/** Scopes the authorization server grants beside the tenant policy's own. */
export const PROTOCOL_SCOPES = ["offline_access"];

const MAX_INSTANCES = 200;
const instances = new Map<string, OAuthAuthorizationServer<Env>>();

/**
 * The authorization server runs when its storage is bound, someone can sign in,
 * and the gateway's origin can be an OAuth issuer (https, or http on loopback).
 */
export function oauthEnabled(env: Env, config: OAuthConfigView, base: string): boolean {
  return (
    Boolean(env.OAUTH_KV) &&
    (config.oauth.oidc !== null || config.auth.devLogin !== null) &&
    acceptableIssuer(base)
  );
}

function acceptableIssuer(base: string): boolean {
  const url = new URL(base);
  if (url.protocol === "https:") return true;
  return (
    url.protocol === "http:" &&
    (url.hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname) || url.hostname === "[::1]")
  );
}

export function mcpResource(base: string): string {
  return `${base}/mcp`;
}

/**
 * The canonical resource a client-supplied `resource` value names: `{base}/mcp`,
 * or `{base}/{path}/mcp` of a registered, enabled server; null for anything else.
 */
export async function canonicalResource(
  base: string,
  value: string | null | undefined,
  directory: ServerDirectory,
): Promise<string | null> {
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.origin.toLowerCase() !== base.toLowerCase() || url.hash) return null;
  const path = resourcePath(url.pathname);
  if (path === "" || url.pathname !== path) return null;
  if (path === "/mcp") return mcpResource(base);
  const server = await directory.byPath(path.slice(1, -"/mcp".length));
  if (!server?.enabled) return null;
  return `${base}${path}`;
}

export interface ServerSpec {
  base: string;
  /** Besides `{base}/mcp`. */
  resources?: string[];
  /** What consent may grant (the tenant policy's scopes); metadata advertises the default tenant's. */
  scopes: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

export function authorizationServer(spec: ServerSpec): OAuthAuthorizationServer<Env> {
  const resources = [...new Set([mcpResource(spec.base), ...(spec.resources ?? [])])];
  const scopes = [...new Set([...spec.scopes, ...PROTOCOL_SCOPES])];
  const key = JSON.stringify([
    spec.base,
    resources,
    scopes,
    spec.accessTokenTtlSeconds,
    spec.refreshTokenTtlSeconds,
  ]);
  let server = instances.get(key);
  if (server) return server;
  server = new OAuthAuthorizationServer<Env>({
    issuer: spec.base,
    resources,
    // Older clients that send no `resource` get a token for the aggregated endpoint.
    defaultResource: mcpResource(spec.base),
    authorizeEndpoint: `${spec.base}${OAUTH_PATHS.authorize}`,
    tokenEndpoint: `${spec.base}${OAUTH_PATHS.token}`,
    clientRegistrationEndpoint: `${spec.base}${OAUTH_PATHS.register}`,
    scopesSupported: scopes,
    clientIdMetadataDocumentEnabled: true,
    accessTokenTTL: spec.accessTokenTtlSeconds,
    refreshTokenTTL: spec.refreshTokenTtlSeconds,
    // Error responses are logged by reason only: never a token, code or client secret.
    onError: ({ status, code, internal }) => {
      console.warn(
        JSON.stringify({
          level: "warn",
          event: "oauth_error",
          status,
          code,
          category: internal.category,
          reason: internal.reason,
        }),
      );
    },
  });
  if (instances.size >= MAX_INSTANCES) instances.clear();
  instances.set(key, server);
  return server;
}

/** The library's tokens and codes are `{userId}:{grantId}:{secret}` (its documented format). */
const LIBRARY_TOKEN = /^([A-Za-z0-9_-]+):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

export function isOAuthToken(token: string): boolean {
  return LIBRARY_TOKEN.test(token);
}

/** The user and grant a code or token names, read from its shape (nothing is verified here). */
export function grantOf(token: string): { userId: string; grantId: string } | null {
  const match = LIBRARY_TOKEN.exec(token);
  return match ? { userId: match[1] as string, grantId: match[2] as string } : null;
}
