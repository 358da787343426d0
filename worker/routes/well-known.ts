// Public discovery documents: OAuth protected-resource metadata (RFC 9728)
// for the gateway, the aggregated `/mcp` endpoint, each server's `/{path}/mcp`
// and each virtual server's `/v/{name}/mcp`, and the public keys of the gateway's own tokens.
import { Hono } from "hono";
import { DEFAULT_TENANT } from "../auth/principal.ts";
import { signingKeys } from "../auth/signing-keys.ts";
import type { GatewayConfig } from "../env.ts";
import { GatewayError } from "../http/errors.ts";
import { baseUrl } from "../http/resource.ts";
import { oauthEnabled } from "../oauth/authorization-server.ts";
import type { Services } from "../services.ts";

const PRM = "/.well-known/oauth-protected-resource";

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ["header"];
  resource_name: string;
}

export function wellKnownRoutes() {
  const app = new Hono<{ Bindings: Env }>();

  // Browser-based MCP clients read these documents cross-origin.
  app.use("/.well-known/*", async (c, next) => {
    await next();
    c.header("access-control-allow-origin", "*");
  });

  app.get(PRM, async (c) =>
    c.json(await metadata({ ...c.var, env: c.env }, c.req.url, "", "MCP Gateway", DEFAULT_TENANT)),
  );
  app.get(`${PRM}/mcp`, async (c) =>
    c.json(
      await metadata(
        { ...c.var, env: c.env },
        c.req.url,
        "/mcp",
        "MCP Gateway (all servers)",
        DEFAULT_TENANT,
      ),
    ),
  );
  app.get(`${PRM}/:path/mcp`, async (c) => {
    const path = c.req.param("path");
    const server = await c.var.services.store.getServerByPath(path);
    if (!server) throw new GatewayError("not-found", { detail: "No server is registered at this path" });
    return c.json(
      await metadata({ ...c.var, env: c.env }, c.req.url, `/${server.path}/mcp`, server.name, server.tenant),
    );
  });

  // A virtual server is a protected resource of its own, like any MCP endpoint.
  app.get(`${PRM}/v/:name/mcp`, async (c) => {
    const record = await c.var.services.virtualServers.named(c.req.param("name"));
    if (!record) throw new GatewayError("not-found", { detail: "No virtual server has this name" });
    return c.json(
      await metadata(
        { ...c.var, env: c.env },
        c.req.url,
        `/v/${record.name}/mcp`,
        record.name,
        record.tenant,
      ),
    );
  });

  app.get("/.well-known/jwks.json", async (c) => {
    const { signingKey, previousSigningKey } = c.var.config.auth;
    const jwks = signingKey ? (await signingKeys(signingKey, previousSigningKey)).jwks : { keys: [] };
    c.header("cache-control", "public, max-age=300");
    return c.json(jwks);
  });

  return app;
}

async function metadata(
  { config, services, env }: { config: GatewayConfig; services: Services; env: Env },
  requestUrl: string,
  resourcePath: string,
  name: string,
  tenant: string,
): Promise<ProtectedResourceMetadata> {
  const base = baseUrl(config.publicUrl, requestUrl);
  const servers = config.auth.issuers.map((issuer) => issuer.issuer);
  // The gateway is named only when it serves RFC 8414 metadata and the OAuth
  // endpoints (worker/oauth/); first, since it is the one built for MCP clients.
  if (oauthEnabled(env, config, base)) servers.unshift(base);
  return {
    resource: `${base}${resourcePath}`,
    authorization_servers: servers,
    scopes_supported: await services.access.supportedScopes(tenant),
    bearer_methods_supported: ["header"],
    resource_name: name,
  };
}
