// The gateway as an OAuth authorization server (worker/oauth/): which identity
// provider people sign in at (OIDC_*), and token lifetimes. Parsed in env.ts
// with the rest of the configuration.
import { z } from "zod";
import type { AuthSettings } from "../auth/settings.ts";

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const seconds = (fallback: number, min: number) => z.coerce.number().int().min(min).default(fallback);

/** Spread into the configuration schema in env.ts. */
export const OAuthSettingsShape = {
  /** The upstream OpenID provider people sign in at (exactly its `issuer`). */
  OIDC_ISSUER: optional(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" })),
  OIDC_CLIENT_ID: optional(z.string().min(1).max(500)),
  /** Secret: the gateway's client secret at the IdP (absent: a public client, PKCE only). */
  OIDC_CLIENT_SECRET: optional(z.string().min(1)),
  /** Space-separated scopes asked of the IdP. */
  OIDC_SCOPES: z.string().min(1).default("openid profile email"),
  /** Lifetime of access tokens the gateway issues to MCP clients. */
  OAUTH_ACCESS_TOKEN_TTL_SECONDS: seconds(3600, 60),
  /** Lifetime of a grant (its refresh tokens): groups are read again at the next sign-in. */
  OAUTH_REFRESH_TOKEN_TTL_SECONDS: seconds(7 * 24 * 3600, 60),
};

type OAuthValues = z.output<z.ZodObject<typeof OAuthSettingsShape>>;

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | null;
  scopes: string[];
}

export interface OAuthSettings {
  /** null: no upstream IdP; sign-in is the development login when DEV_MODE allows it. */
  oidc: OidcSettings | null;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
}

/** Cross-field rules, reported against the setting that must change. */
export function checkOAuthValues(values: OAuthValues, ctx: z.RefinementCtx): void {
  if (values.OIDC_ISSUER && !values.OIDC_CLIENT_ID) {
    ctx.addIssue({
      code: "custom",
      path: ["OIDC_CLIENT_ID"],
      message: "is required when OIDC_ISSUER is set",
    });
  }
  if (values.OIDC_ISSUER) {
    const url = new URL(values.OIDC_ISSUER);
    const loopback = url.hostname === "localhost" || /^127\./.test(url.hostname) || url.hostname === "[::1]";
    if (url.protocol !== "https:" && !loopback) {
      ctx.addIssue({
        code: "custom",
        path: ["OIDC_ISSUER"],
        message: "must use https (http only on loopback)",
      });
    }
  }
  if (!values.OIDC_SCOPES.split(/\s+/).includes("openid")) {
    ctx.addIssue({ code: "custom", path: ["OIDC_SCOPES"], message: "must include openid" });
  }
}

export function oauthSettings(values: OAuthValues): OAuthSettings {
  const oidc =
    values.OIDC_ISSUER && values.OIDC_CLIENT_ID
      ? {
          issuer: values.OIDC_ISSUER,
          clientId: values.OIDC_CLIENT_ID,
          clientSecret: values.OIDC_CLIENT_SECRET ?? null,
          scopes: values.OIDC_SCOPES.split(/\s+/).filter((scope) => scope !== ""),
        }
      : null;
  return {
    oidc,
    accessTokenTtlSeconds: values.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: values.OAUTH_REFRESH_TOKEN_TTL_SECONDS,
  };
}

/**
 * The slice of the gateway's configuration the OAuth modules read. The full
 * `GatewayConfig` (env.ts) satisfies it; naming only this slice keeps oauth/
 * below env.ts in the folder order (env.ts imports these settings).
 */
export interface OAuthConfigView {
  oauth: OAuthSettings;
  auth: AuthSettings;
  publicUrl: string | null;
}
