// The gateway as an OAuth protected resource (RFC 9728): its resource URLs,
// the metadata URL that goes into every `WWW-Authenticate` challenge, and the
// audiences a token may carry on a given path.
//
// The base resource is PUBLIC_URL, or the request's origin when it is unset
// (local runs; production requires PUBLIC_URL). MCP endpoints are resources
// of their own: `/mcp`, `/{path}/mcp` and the virtual servers' `/v/{name}/mcp`
// (RFC 9728 path-suffixed metadata).

/** `/mcp...`, `/{slug}/mcp...` or `/v/{slug}/mcp...`; slugs as in registry/server-input.ts. */
const MCP_PATH = /^\/(?:((?:v\/)?[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)\/)?mcp(?:\/|$)/;

export function baseUrl(publicUrl: string | null, requestUrl: string): string {
  return publicUrl ?? new URL(requestUrl).origin;
}

/** The resource path a request path belongs to: "" (the gateway), "/mcp", "/{path}/mcp" or "/v/{name}/mcp". */
export function resourcePath(path: string): string {
  const match = MCP_PATH.exec(path);
  if (!match) return "";
  return match[1] ? `/${match[1]}/mcp` : "/mcp";
}

export function resourceUrl(base: string, path: string): string {
  return `${base}${resourcePath(path)}`;
}

export function metadataUrl(base: string, path: string): string {
  return `${base}/.well-known/oauth-protected-resource${resourcePath(path)}`;
}

/**
 * Audiences accepted by default on a path: the gateway itself (tokens for the
 * whole gateway work everywhere) and, on an MCP endpoint, that endpoint's own
 * resource URL (a token for `/github/mcp` works there and nowhere else).
 */
export function defaultAudiences(base: string, path: string): string[] {
  const own = resourceUrl(base, path);
  return own === base ? [base] : [base, own];
}
