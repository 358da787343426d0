// What a grant of the gateway's authorization server carries about its user
// (the library encrypts it as the grant's `props`), and the Principal a token
// of that grant stands for.
//
// Scopes: a client that asks for none of the policy's scopes gets what its
// user can do (the user's groups, as read at sign-in). A client that asks for
// some gets only those the user holds and ticked on the consent page, as
// scopes without groups (like a personal access token), so a token is never
// broader than its user nor than what was consented to.
import type { Principal } from "../auth/principal.ts";
import { sha256Key } from "./upstream-oidc.ts";

export interface GrantIdentity {
  v: 1;
  subject: string;
  issuer: string;
  tenant: string;
  name?: string;
  groups: string[];
  /** true: the client asked for policy scopes, so `scopes` (maybe empty) is all the token may do. */
  narrowed: boolean;
  scopes: string[];
}

/** The library's user id: stable per (tenant, issuer, subject), without `:` (its separator). */
export async function grantUserId(
  principal: Pick<Principal, "tenant" | "issuer" | "subject">,
): Promise<string> {
  return `u${await sha256Key(JSON.stringify([principal.tenant, principal.issuer, principal.subject]))}`;
}

export function grantIdentity(user: Principal, narrowed: boolean, scopes: string[]): GrantIdentity {
  const identity: GrantIdentity = {
    v: 1,
    subject: user.subject,
    issuer: user.issuer,
    tenant: user.tenant,
    groups: [...user.groups],
    narrowed,
    scopes: narrowed ? [...scopes] : [],
  };
  if (user.name) identity.name = user.name;
  return identity;
}

export function principalFromGrant(identity: GrantIdentity): Principal {
  const principal: Principal = {
    subject: identity.subject,
    issuer: identity.issuer,
    tenant: identity.tenant,
    groups: identity.narrowed ? [] : [...identity.groups],
    scopes: identity.narrowed ? [...identity.scopes] : [],
    kind: "user",
    credential: "oauth",
  };
  if (identity.name) principal.name = identity.name;
  return principal;
}

export function isGrantIdentity(value: unknown): value is GrantIdentity {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<GrantIdentity>;
  return (
    candidate.v === 1 &&
    typeof candidate.subject === "string" &&
    typeof candidate.issuer === "string" &&
    typeof candidate.tenant === "string" &&
    Array.isArray(candidate.groups) &&
    Array.isArray(candidate.scopes) &&
    typeof candidate.narrowed === "boolean"
  );
}
