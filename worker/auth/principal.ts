// Who is calling. Every route works with a Principal, never with raw
// credentials, so the way a Principal is obtained (an IdP's JWT, a token the
// gateway vended, the development login) can change without touching routes.

export type PrincipalKind = "user" | "machine";

/** How the caller proved who it is. */
export type CredentialKind = "idp" | "personal-token" | "dev-login" | "oauth" | "session";

export interface Principal {
  /** Stable identifier of the caller within its issuer. */
  subject: string;
  /** Who vouched for the subject (an IdP issuer URL, or the gateway's own URL). */
  issuer: string;
  /** Every record belongs to a tenant; queries are scoped to this one. */
  tenant: string;
  groups: string[];
  scopes: string[];
  kind: PrincipalKind;
  /** A human-readable name (user name, or client id for machines), for logs and UIs. */
  name?: string;
  /** Set by authentication; absent for principals built elsewhere (tests, internal calls). */
  credential?: CredentialKind;
  /** The vended token's id (`jti`) when `credential` is `personal-token` or `dev-login`. */
  tokenId?: string;
}

export const DEFAULT_TENANT = "default";

declare module "hono" {
  interface ContextVariableMap {
    principal: Principal;
  }
}
