// Access tokens of the gateway's authorization server, checked for the
// resource a request addresses: `/mcp` or one `/{path}/mcp` (RFC 8707; a token
// for one is refused at any other). The Authenticator calls this for tokens of
// the library's shape; the grant's identity becomes the Principal.
import { AuthError } from "../auth/errors.ts";
import type { Principal } from "../auth/principal.ts";
import { baseUrl, resourcePath } from "../http/resource.ts";
import { authorizationServer, oauthEnabled } from "./authorization-server.ts";
import { isGrantIdentity, principalFromGrant } from "./grant-identity.ts";
import type { OAuthConfigView } from "./settings.ts";

export type OAuthTokenValidator = (token: string, requestUrl: string) => Promise<Principal>;

export function oauthTokenValidator(env: Env, config: OAuthConfigView): OAuthTokenValidator {
  return async (token, requestUrl) => {
    const base = baseUrl(config.publicUrl, requestUrl);
    if (!oauthEnabled(env, config, base)) throw new AuthError("the token is not a signed JWT");
    const path = resourcePath(new URL(requestUrl).pathname);
    if (path === "") throw new AuthError("the token is not meant for this resource (audience)");
    const resource = `${base}${path}`;
    const server = authorizationServer({
      base,
      resources: [resource],
      scopes: [],
      accessTokenTtlSeconds: config.oauth.accessTokenTtlSeconds,
      refreshTokenTtlSeconds: config.oauth.refreshTokenTtlSeconds,
    });
    const validated = await server.validateToken(resource, token, env);
    if (!validated) throw new AuthError("the token is not valid for this resource");
    if (!isGrantIdentity(validated.props)) throw new AuthError("the token is not known to the gateway");
    return principalFromGrant(validated.props);
  };
}
