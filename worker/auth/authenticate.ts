// The authentication middleware: a bearer token in the Authorization header
// becomes `c.get("principal")`. Anything else is a 401 problem+json with a
// `WWW-Authenticate: Bearer resource_metadata="..."` challenge (RFC 9728), so
// MCP clients can find where to get a token. Tokens in the query string are
// refused outright (they end up in logs and browser history).
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError } from "../http/errors.ts";
import { problemResponse } from "../http/problem.ts";
import { baseUrl, metadataUrl } from "../http/resource.ts";
import { authEvent } from "../observability/audit-events.ts";
import { FailedAuthLimiter } from "../observability/failed-auth-limiter.ts";
import { authFailureReason, observeAuthentication, recordAuthentication } from "../observability/hooks.ts";
import { AuthError } from "./errors.ts";
import { DEFAULT_TENANT } from "./principal.ts";

/** Per isolate: failed authentications audited per source address and minute (see the limiter). */
const failedAuthentications = new FailedAuthLimiter();

// RFC 6750 §2.3 names the query parameter `access_token`.
const QUERY_TOKEN_PARAMETERS = ["access_token"];

export interface AuthenticateOptions {
  /** Full request paths that need no credential (e.g. "/api/v1/openapi.json"). */
  except?: string[];
}

export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<{ Bindings: Env }> {
  const except = new Set(options.except ?? []);
  return async function authenticateMiddleware(c, next) {
    if (except.has(c.req.path)) return next();
    // Already authenticated by the dashboard's session cookie (worker/routes/sso.ts).
    if (c.get("principal") && c.req.header("authorization") === undefined) return next();
    return (await authenticateBearer(c)) ?? next();
  };
}

/**
 * The bearer token of the request to `c.get("principal")`; the 401 to send
 * when it is missing or refused (null when the principal is set). The
 * authentication middleware and the MCP endpoints' front (routes/mcp-front.ts)
 * both run it.
 */
export async function authenticateBearer(c: Context<{ Bindings: Env }>): Promise<Response | null> {
  const url = c.req.url;
  // No query string, no query token: the URL is parsed only when there is one.
  if (url.includes("?") && hasQueryToken(new URL(url))) {
    return unauthorized(
      c,
      new AuthError("send the token in the Authorization header, not in the query string", {
        code: "invalid_request",
      }),
    );
  }
  const header = c.req.raw.headers.get("authorization") ?? undefined;
  const token = bearerToken(header);
  if (token === null) {
    recordAuthentication(false, header === undefined ? "no_credentials" : "malformed_header");
    if (header === undefined) return unauthorized(c, null);
    return unauthorized(
      c,
      new AuthError("expected Authorization: Bearer <token>", { code: "invalid_request" }),
    );
  }
  try {
    c.set("principal", await verifiedPrincipal(c, token, url));
  } catch (error) {
    if (error instanceof AuthError) return unauthorized(c, error);
    throw error;
  }
  return null;
}

/**
 * The token's principal. Its outcome is a fact left on the request's scope,
 * counted when the request ends (http/telemetry.ts): observability is not
 * entered here unless the trace is recorded (then the authentication is a
 * span of its own, observability/hooks.ts) or there is no scope.
 */
async function verifiedPrincipal(c: Context<{ Bindings: Env }>, token: string, url: string) {
  const authenticator = c.get("services").authenticator;
  // Hono's path is the URL's pathname unless it holds a percent-escape (Hono decodes those):
  // then the authenticator parses the URL itself, as it always did.
  const path = c.req.path.includes("%") ? undefined : c.req.path;
  const scope = c.get("scope");
  if (scope === undefined || scope.trace?.recording) {
    return observeAuthentication(() => authenticator.authenticate(token, url, path));
  }
  const started = Date.now();
  try {
    const principal = await authenticator.authenticate(token, url, path);
    scope.authentication = { success: true, reason: "ok", seconds: (Date.now() - started) / 1000 };
    return principal;
  } catch (error) {
    const reason = authFailureReason(error);
    scope.authentication = { success: false, reason, seconds: (Date.now() - started) / 1000 };
    throw error;
  }
}

function hasQueryToken(url: URL): boolean {
  return QUERY_TOKEN_PARAMETERS.some((name) => url.searchParams.has(name));
}

/** The token of an `Authorization: Bearer <token>` header; null for any other form. */
export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer +([\x21-\x7e]+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

export interface ChallengeParameters {
  error?: "invalid_token" | "invalid_request" | "insufficient_scope";
  description?: string;
  /** Space-separated scopes that would help (with insufficient_scope). */
  scope?: string;
}

/** `Bearer resource_metadata="...", error="...", ...` for the resource the request addressed. */
export function bearerChallenge(c: Context<{ Bindings: Env }>, parameters: ChallengeParameters = {}): string {
  const base = baseUrl(c.get("config").publicUrl, c.req.url);
  const parts = [`Bearer resource_metadata="${metadataUrl(base, c.req.path)}"`];
  if (parameters.error) parts.push(`error="${parameters.error}"`);
  if (parameters.description) parts.push(`error_description="${quotable(parameters.description)}"`);
  if (parameters.scope) parts.push(`scope="${quotable(parameters.scope)}"`);
  return parts.join(", ");
}

/**
 * The 401 every refused credential gets (also used by the development login).
 * A presented-but-refused credential is audited (`auth` category, rate-limited
 * per source address); a request that sent none is not (clients probe first).
 */
export function unauthorized(
  c: Context<{ Bindings: Env }>,
  error: AuthError | null,
  action = "auth.authenticate",
): Response {
  if (error) auditFailure(c, error, action);
  if (error?.internal) {
    console.warn(
      JSON.stringify({
        level: "warn",
        event: "auth_rejected",
        requestId: c.get("requestId"),
        reason: error.reason,
        internal: error.internal,
      }),
    );
  }
  const detail = error
    ? `The credential was refused: ${error.reason}`
    : "Send a Bearer token in the Authorization header";
  const challenge = error
    ? bearerChallenge(c, { error: error.code, description: error.reason })
    : bearerChallenge(c);
  return problemResponse(new GatewayError("unauthorized", { detail }), c.get("requestId"), {
    "www-authenticate": challenge,
  });
}

/** RFC 6750 allows %x20-21 / %x23-5B / %x5D-7E inside the quoted values. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, "");
}

function auditFailure(c: Context<{ Bindings: Env }>, error: AuthError, action: string): void {
  const source = c.req.header("cf-connecting-ip") ?? "unknown";
  const slot = failedAuthentications.take(source);
  if (!slot) return;
  try {
    c.get("services").auditor.record(c.executionCtx, [
      authEvent({ tenant: DEFAULT_TENANT, subject: null, issuer: null }, c.get("requestId") ?? "", {
        id: slot.id,
        action,
        decision: "deny",
        reason: error.code ?? "invalid_token",
        detail: {
          source,
          path: c.req.path,
          error: error.reason,
          ...(slot.suppressed > 0 ? { suppressed: slot.suppressed } : {}),
        },
      }),
    ]);
  } catch {
    // No execution context (a unit test calling the middleware directly): nothing to wait on.
  }
}
