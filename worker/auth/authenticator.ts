// From a bearer token to a Principal: verify the JWT (the gateway's own
// tokens and every configured IdP's), then map it. The gateway's tokens are
// also checked against their stored row (revocation); IdP tokens are mapped
// from their claims with the issuer's settings.

import { baseUrl, defaultAudiences } from "../http/resource.ts";
import { principalFromClaims } from "./claims.ts";
import type { JwksCache } from "./jwks-cache.ts";
import type { Principal } from "./principal.ts";
import type { AuthSettings } from "./settings.ts";
import type { SigningKeys } from "./signing-keys.ts";
import type { TokenService } from "./token-service.ts";
import { type GatewayIssuer, type VerifierSetup, verifyToken } from "./token-verifier.ts";

export interface AuthenticatorDeps {
  settings: AuthSettings;
  publicUrl: string | null;
  jwks: JwksCache;
  tokens: TokenService;
  /** null when the gateway has no signing key (then it trusts no gateway tokens). */
  keys: () => Promise<SigningKeys | null>;
  /** Opaque access tokens of the gateway's OAuth authorization server (worker/oauth/). */
  oauthTokens?: ((token: string, requestUrl: string) => Promise<Principal>) | undefined;
}

/** The OAuth library's tokens are `{userId}:{grantId}:{secret}`; JWTs never contain `:`. */
const OAUTH_TOKEN_SHAPE = /^[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

export class Authenticator {
  readonly #deps: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
  }

  /** The issuer URL of the gateway's own tokens for a request (PUBLIC_URL or the request's origin). */
  issuerFor(requestUrl: string): string {
    return baseUrl(this.#deps.publicUrl, requestUrl);
  }

  /** Throws AuthError for any token that must be refused. */
  async authenticate(token: string, requestUrl: string): Promise<Principal> {
    const { oauthTokens } = this.#deps;
    if (oauthTokens && token.length <= this.#deps.settings.maxTokenBytes && OAUTH_TOKEN_SHAPE.test(token)) {
      return oauthTokens(token, requestUrl);
    }
    const base = this.issuerFor(requestUrl);
    const audiences = defaultAudiences(base, new URL(requestUrl).pathname);
    const verified = await verifyToken(this.#setup(base), token, audiences);
    if (verified.source === "gateway") return this.#deps.tokens.principalFor(verified.claims, base);
    return { ...principalFromClaims(verified.issuer, verified.claims), credential: "idp" };
  }

  #setup(base: string): VerifierSetup {
    const { settings, jwks, keys } = this.#deps;
    let gateway: GatewayIssuer | null = null;
    if (settings.signingKey) {
      gateway = {
        issuer: base,
        keys: async () => {
          const loaded = await keys();
          if (!loaded) throw new Error("signing keys missing although TOKEN_SIGNING_KEY is set");
          return loaded.resolver;
        },
      };
    }
    return { issuers: settings.issuers, jwks, maxTokenBytes: settings.maxTokenBytes, gateway };
  }
}
