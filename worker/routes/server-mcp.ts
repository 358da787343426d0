// Routes of the per-server MCP endpoints: `/{path}/mcp` (Streamable HTTP),
// `/{path}/sse` and `/{path}/message` (legacy HTTP+SSE). Thin: the ingress
// reads the request once, the usable-server rule finds the server, the proxy
// wing answers.
import type { Context } from "hono";
import { Hono } from "hono";
import { authenticate } from "../auth/authenticate.ts";
import { McpRequest } from "../edge/ingress.ts";
import { pinnedGuard } from "../edge/pinned-guard.ts";
import { findUsableServer } from "../edge/usable-servers.ts";
import { ConfigError } from "../env.ts";
import { limitBodySize } from "../http/json-body.ts";
import { mcpOriginCheck } from "../http/origin.ts";
import { baseUrl } from "../http/resource.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { jsonRpcError } from "../protocol/replies.ts";
import { proxyLegacyMessage, proxyLegacyStream } from "../proxy/legacy-sse-proxy.ts";
import type { ProxyContext } from "../proxy/proxy-context.ts";
import { proxyStreamable } from "../proxy/streamable-proxy.ts";
import { canSee } from "../registry/visibility.ts";
import type { Transport } from "../store/registry-store.ts";
import { connectionRequiredReply } from "../upstream/connection-required.ts";
import { ConnectionRequiredError, callerSecrets, secretsFromEnv } from "../upstream/egress.ts";

type Env_ = { Bindings: Env };

const ENTRY_FOR: Record<Transport, string> = { "streamable-http": "mcp", sse: "sse" };

async function exchangeContext(c: Context<Env_>, transport: Transport): Promise<ProxyContext | Response> {
  const { config, services } = c.var;
  if (config.sessionSecret === null) throw new ConfigError("SESSION_SECRET is not set");
  const principal = c.get("principal");
  const path = c.req.param("path") ?? "";
  const found = await findUsableServer(services.directory, principal, path);
  // Visibility (registry/visibility.ts): a server the caller may not see is answered as absent.
  const server = found !== null && canSee(await services.access.viewer(principal), found) ? found : null;
  if (server === null) {
    return jsonRpcError(404, ErrorCode.InvalidRequest, `No enabled MCP server at /${path}`);
  }
  if (!server.endpoints.some((candidate) => candidate.transport === transport)) {
    const other = server.endpoints[0]?.transport ?? "streamable-http";
    return jsonRpcError(
      404,
      ErrorCode.InvalidRequest,
      `This server is reached at /${path}/${ENTRY_FOR[other]}`,
    );
  }
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  const mcp = await McpRequest.read(c.req.raw, {
    principal,
    requestId,
    deps: { services, config, env: c.env, waitUntil: c.executionCtx },
  });
  const access = await mcp.access();
  // Per-user egress: the caller's own token, or the "connect your account" reply.
  let secrets: ProxyContext["secrets"];
  try {
    const credentials = services.connections.callerCredentials(baseUrl(config.publicUrl, c.req.url));
    secrets = await callerSecrets(server, principal, secretsFromEnv(c.env), credentials);
  } catch (error) {
    if (error instanceof ConnectionRequiredError) return connectionRequiredReply(mcp.body, error);
    throw error;
  }
  return {
    mcp,
    request: mcp.http,
    server,
    transport,
    env: c.env,
    resilience: { env: c.env, settings: config.resilience },
    waitUntil: c.executionCtx,
    principal,
    // Tool pinning (issue 14): tools/list and tools/call held to the approved catalog.
    guard: pinnedGuard(
      access.forServer(server.path),
      await services.approvals.pinsFor(server.tenant, server.id),
    ),
    secrets,
    sessionSecret: config.sessionSecret,
    requestId,
  };
}

export function serverMcpRoutes() {
  const app = new Hono<Env_>();
  for (const entry of ["/:path/mcp", "/:path/sse", "/:path/message"]) {
    app.use(entry, mcpOriginCheck(), authenticate(), limitBodySize());
  }

  app.on(["GET", "POST", "DELETE"], "/:path/mcp", async (c) => {
    const ctx = await exchangeContext(c, "streamable-http");
    return ctx instanceof Response ? ctx : proxyStreamable(ctx);
  });
  app.get("/:path/sse", async (c) => {
    const ctx = await exchangeContext(c, "sse");
    return ctx instanceof Response ? ctx : proxyLegacyStream(ctx);
  });
  app.post("/:path/message", async (c) => {
    const ctx = await exchangeContext(c, "sse");
    return ctx instanceof Response ? ctx : proxyLegacyMessage(ctx);
  });
  return app;
}
