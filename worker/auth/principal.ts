// Who is calling. Every route works with a Principal, never with raw
// credentials, so the way a Principal is obtained (today the interim admin
// credential, later JWTs and vended tokens) can change without touching routes.

export type PrincipalKind = "user" | "machine";

export interface Principal {
  /** Stable identifier of the caller within its issuer. */
  subject: string;
  /** Who vouched for the subject (an IdP issuer URL, or "gateway"). */
  issuer: string;
  /** Every record belongs to a tenant; queries are scoped to this one. */
  tenant: string;
  groups: string[];
  scopes: string[];
  kind: PrincipalKind;
}

export const DEFAULT_TENANT = "default";

declare module "hono" {
  interface ContextVariableMap {
    principal: Principal;
  }
}
