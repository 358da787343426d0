// Assembles the identity services from configuration and a TokenStore (the
// adapter is chosen in services.ts). The JWKS cache lives at module level: one
// per isolate, shared by every request the isolate serves.
import type { TokenStore } from "../store/token-store.ts";
import { Authenticator } from "./authenticator.ts";
import { JwksCache } from "./jwks-cache.ts";
import type { Principal } from "./principal.ts";
import type { AuthSettings } from "./settings.ts";
import { type SigningKeys, signingKeys } from "./signing-keys.ts";
import { TokenService } from "./token-service.ts";

export const isolateJwksCache = new JwksCache();

export interface IdentityServices {
  tokens: TokenService;
  authenticator: Authenticator;
}

export function identityServices(
  config: { auth: AuthSettings; publicUrl: string | null },
  store: TokenStore,
  oauthTokens?: (token: string, requestUrl: string) => Promise<Principal>,
): IdentityServices {
  const { auth } = config;
  const { signingKey, previousSigningKey } = auth;
  const keys = (): Promise<SigningKeys | null> =>
    signingKey ? signingKeys(signingKey, previousSigningKey) : Promise.resolve(null);
  const tokens = new TokenService({
    store,
    keys,
    maxLifetimeSeconds: auth.tokenMaxLifetimeSeconds,
    mintsPerMinute: auth.tokenMintsPerMinute,
  });
  const authenticator = new Authenticator({
    settings: auth,
    publicUrl: config.publicUrl,
    jwks: isolateJwksCache,
    tokens,
    keys,
    oauthTokens,
  });
  return { tokens, authenticator };
}
