// Turns the verified claims of an IdP's access token into a Principal: the
// issuer's configuration says where groups, the user name and the tenant are;
// scopes come from `scope` (space-separated) or `scp` (Entra, Okta).
// Client-credentials tokens (no user behind them) become `machine` principals.
import type { JWTPayload } from "jose";
import { AuthError } from "./errors.ts";
import type { IssuerConfig } from "./issuers.ts";
import type { Principal } from "./principal.ts";

const MAX_LIST_ENTRIES = 500;

/** Reads a claim by its literal name first (`cognito:groups`, `https://x/groups`), then as a dotted path. */
export function readClaim(claims: JWTPayload, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const segment of path.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** A list of strings from an array, or from one space-separated string. */
function stringList(value: unknown, separator: RegExp | null): string[] {
  if (typeof value === "string") {
    const parts = separator ? value.split(separator) : [value];
    return parts.filter((part) => part.length > 0).slice(0, MAX_LIST_ENTRIES);
  }
  if (Array.isArray(value)) {
    return value
      .filter((item): item is string => typeof item === "string" && item.length > 0)
      .slice(0, MAX_LIST_ENTRIES);
  }
  return [];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = readClaim(claims, name);
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** The OAuth client behind the token, under whichever name the IdP uses. */
export function clientIdOf(claims: JWTPayload): string | undefined {
  return (
    stringClaim(claims, "client_id") ??
    stringClaim(claims, "azp") ??
    stringClaim(claims, "appid") ??
    stringClaim(claims, "cid")
  );
}

export function scopesOf(claims: JWTPayload): string[] {
  return unique([...stringList(claims.scope, /\s+/), ...stringList(claims.scp, /\s+/)]);
}

/**
 * Client credentials: Auth0 says so (`gty`), Entra marks app tokens (`idtyp`),
 * Okta and Cognito use the client id as subject, Keycloak names service
 * accounts `service-account-*`; otherwise a token with a client but no user
 * name has no user behind it.
 */
function isMachine(claims: JWTPayload, username: string | undefined, clientId: string | undefined): boolean {
  if (claims.gty === "client-credentials" || claims.idtyp === "app") return true;
  if (clientId !== undefined && claims.sub === clientId) return true;
  const preferred = stringClaim(claims, "preferred_username");
  if (preferred?.startsWith("service-account-")) return true;
  return clientId !== undefined && username === undefined;
}

export function principalFromClaims(issuer: IssuerConfig, claims: JWTPayload): Principal {
  const clientId = clientIdOf(claims);
  const subject = (typeof claims.sub === "string" && claims.sub) || clientId;
  if (!subject) throw new AuthError("the token names no subject");

  let tenant = issuer.tenant;
  if (issuer.tenantClaim) {
    const claimed = stringClaim(claims, issuer.tenantClaim);
    if (!claimed) throw new AuthError("the token names no tenant");
    tenant = claimed;
  }

  const username = stringClaim(claims, issuer.usernameClaim);
  const principal: Principal = {
    subject,
    issuer: issuer.issuer,
    tenant,
    groups: unique(stringList(readClaim(claims, issuer.groupsClaim), null)),
    scopes: scopesOf(claims),
    kind: isMachine(claims, username, clientId) ? "machine" : "user",
  };
  const name = username ?? clientId;
  if (name) principal.name = name;
  return principal;
}
