// Which identity providers the gateway trusts, and how to read their tokens.
// `AUTH_ISSUERS` is a JSON array; each entry may name a preset (Keycloak,
// Cognito, Entra ID, Auth0, Okta) that fills in the claim names that IdP uses.
import { z } from "zod";

/** Asymmetric JWS algorithms only: HMAC and `none` can never be configured. */
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
] as const;
export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export const DEFAULT_ALGORITHMS: AsymmetricAlgorithm[] = ["RS256", "ES256"];
export const MAX_CLOCK_SKEW_SECONDS = 60;

export type PresetName = "generic" | "keycloak" | "cognito" | "entra" | "auth0" | "okta";

interface PresetDefaults {
  displayName: string;
  groupsClaim: string;
  usernameClaim: string;
  /** Claim compared with the accepted audiences; Cognito access tokens carry no `aud`. */
  audienceClaim: string;
}

/**
 * Where each IdP puts groups and the user name in its access tokens. An entry
 * in AUTH_ISSUERS overrides any of these.
 */
export const PRESETS: Record<PresetName, PresetDefaults> = {
  generic: {
    displayName: "OpenID Connect",
    groupsClaim: "groups",
    usernameClaim: "preferred_username",
    audienceClaim: "aud",
  },
  // Groups need the "Group Membership" mapper (claim `groups`); realm roles
  // are at `realm_access.roles` out of the box.
  keycloak: {
    displayName: "Keycloak",
    groupsClaim: "groups",
    usernameClaim: "preferred_username",
    audienceClaim: "aud",
  },
  // Cognito access tokens have `client_id` instead of `aud`.
  cognito: {
    displayName: "Amazon Cognito",
    groupsClaim: "cognito:groups",
    usernameClaim: "username",
    audienceClaim: "client_id",
  },
  // App roles arrive in `roles` for users and for applications alike.
  entra: {
    displayName: "Microsoft Entra ID",
    groupsClaim: "roles",
    usernameClaim: "preferred_username",
    audienceClaim: "aud",
  },
  // With RBAC and "Add Permissions in the Access Token" on; a namespaced
  // claim set by an Action (e.g. `https://example.com/groups`) also works.
  auth0: { displayName: "Auth0", groupsClaim: "permissions", usernameClaim: "sub", audienceClaim: "aud" },
  okta: { displayName: "Okta", groupsClaim: "groups", usernameClaim: "sub", audienceClaim: "aud" },
};

const httpsOrLoopback = (label: string) =>
  z.url({ error: `${label} must be a URL` }).refine(
    (value) => {
      const url = new URL(value);
      if (url.protocol === "https:") return true;
      return url.protocol === "http:" && isLoopbackHost(url.hostname);
    },
    { error: `${label} must use https (http only for loopback hosts)` },
  );

function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

const ClaimPath = z.string().min(1).max(200);

const IssuerInput = z.strictObject({
  preset: z.enum(["generic", "keycloak", "cognito", "entra", "auth0", "okta"]).default("generic"),
  /** Exactly the `iss` value the IdP puts in its tokens. */
  issuer: httpsOrLoopback("issuer"),
  /** JWKS location; when absent it is read from `{issuer}/.well-known/openid-configuration`. */
  jwksUri: httpsOrLoopback("jwksUri").optional(),
  /** Accepted audiences; default: the gateway's resource URL (see docs/architecture.md). */
  audiences: z.array(z.string().min(1)).min(1).optional(),
  audienceClaim: ClaimPath.optional(),
  algorithms: z.array(z.enum(ASYMMETRIC_ALGORITHMS)).min(1).optional(),
  /** Claim holding groups: a name (`cognito:groups`) or a dotted path (`realm_access.roles`). */
  groupsClaim: ClaimPath.optional(),
  usernameClaim: ClaimPath.optional(),
  displayName: z.string().min(1).max(100).optional(),
  /** Fixed tenant for every principal of this issuer (default `default`). */
  tenant: z.string().min(1).max(100).optional(),
  /** Read the tenant from this claim instead; a token without it is refused. */
  tenantClaim: ClaimPath.optional(),
  clockSkewSeconds: z.int().min(0).max(MAX_CLOCK_SKEW_SECONDS).optional(),
  /** How long fetched keys are used before they are refreshed (they stay usable if the refresh fails). */
  jwksMaxAgeSeconds: z.int().min(1).max(86_400).optional(),
  /** The least time between two fetches of the JWKS (bounds refetches on unknown `kid`s). */
  jwksCooldownSeconds: z.int().min(1).max(3_600).optional(),
});

export type IssuerInput = z.input<typeof IssuerInput>;

export interface IssuerConfig {
  preset: PresetName;
  issuer: string;
  jwksUri: string | null;
  /** null: the gateway's own resource URL(s), decided per request. */
  audiences: string[] | null;
  audienceClaim: string;
  algorithms: AsymmetricAlgorithm[];
  groupsClaim: string;
  usernameClaim: string;
  displayName: string;
  tenant: string;
  tenantClaim: string | null;
  clockSkewSeconds: number;
  jwksMaxAgeSeconds: number;
  jwksCooldownSeconds: number;
}

export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
export const DEFAULT_JWKS_MAX_AGE_SECONDS = 600;
export const DEFAULT_JWKS_COOLDOWN_SECONDS = 30;

function withDefaults(input: z.output<typeof IssuerInput>): IssuerConfig {
  const preset = PRESETS[input.preset];
  return {
    preset: input.preset,
    issuer: input.issuer,
    jwksUri: input.jwksUri ?? null,
    audiences: input.audiences ?? null,
    audienceClaim: input.audienceClaim ?? preset.audienceClaim,
    algorithms: input.algorithms ?? DEFAULT_ALGORITHMS,
    groupsClaim: input.groupsClaim ?? preset.groupsClaim,
    usernameClaim: input.usernameClaim ?? preset.usernameClaim,
    displayName: input.displayName ?? preset.displayName,
    tenant: input.tenant ?? "default",
    tenantClaim: input.tenantClaim ?? null,
    clockSkewSeconds: input.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    jwksMaxAgeSeconds: input.jwksMaxAgeSeconds ?? DEFAULT_JWKS_MAX_AGE_SECONDS,
    jwksCooldownSeconds: input.jwksCooldownSeconds ?? DEFAULT_JWKS_COOLDOWN_SECONDS,
  };
}

/** The `AUTH_ISSUERS` setting: a JSON array of issuers (empty by default). */
export const AuthIssuersSetting = z
  .string()
  .default("[]")
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "must be a JSON array of issuers" });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(IssuerInput)
      .max(20)
      .refine((list) => new Set(list.map((entry) => entry.issuer)).size === list.length, {
        error: "each issuer may appear only once",
      }),
  )
  .transform((list) => list.map(withDefaults));
