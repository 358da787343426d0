// The upstream IdP client for this configuration, or null when OIDC_* is not
// set. Its claims are read with the settings of its AUTH_ISSUERS entry when it
// has one (preset, groups and user name claims, tenant).
import { isolateJwksCache } from "../auth/identity.ts";
import { loadConfig } from "../env.ts";
import { UpstreamOidc } from "./upstream-oidc.ts";

const clients = new WeakMap<object, UpstreamOidc | null>();

export function oidcClient(env: Env): UpstreamOidc | null {
  if (clients.has(env)) return clients.get(env) ?? null;
  const config = loadConfig(env);
  const settings = config.oauth.oidc;
  const client = settings
    ? new UpstreamOidc({
        settings,
        issuerConfig: config.auth.issuers.find((issuer) => issuer.issuer === settings.issuer) ?? null,
        jwks: isolateJwksCache,
      })
    : null;
  clients.set(env, client);
  return client;
}
