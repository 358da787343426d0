// The upstream IdP client for this configuration, or null when OIDC_* is not
// set. Its claims are read with the settings of its AUTH_ISSUERS entry when it
// has one (preset, groups and user name claims, tenant).
import { isolateJwksCache } from "../auth/identity.ts";
import type { OAuthConfigView } from "./settings.ts";
import { UpstreamOidc } from "./upstream-oidc.ts";

const clients = new WeakMap<object, UpstreamOidc | null>();

/** Cached per configuration object (one per bindings object, built by the composition root). */
export function oidcClient(config: OAuthConfigView): UpstreamOidc | null {
  if (clients.has(config)) return clients.get(config) ?? null;
  const settings = config.oauth.oidc;
  const client = settings
    ? new UpstreamOidc({
        settings,
        issuerConfig: config.auth.issuers.find((issuer) => issuer.issuer === settings.issuer) ?? null,
        jwks: isolateJwksCache,
      })
    : null;
  clients.set(config, client);
  return client;
}
