// Routes of the per-server MCP endpoints: `/{path}/mcp` (Streamable HTTP),
// `/{path}/sse` and `/{path}/message` (legacy HTTP+SSE). Thin: find the
// server, gather the exchange's context, hand it to the proxy.
import type { Context } from "hono";
import { Hono } from "hono";
import { authenticate } from "../auth/authenticate.ts";
import { ConfigError, loadConfig } from "../env.ts";
import { limitBodySize } from "../http/json-body.ts";
import { mcpOriginCheck } from "../http/origin.ts";
import { ErrorCode, errorResponse } from "../mcp/jsonrpc.ts";
import { observePolicy } from "../observability/hooks.ts";
import { secretsFromEnv } from "../proxy/egress.ts";
import { proxyLegacyMessage, proxyLegacyStream } from "../proxy/legacy-sse-proxy.ts";
import { mcpGuardFor } from "../proxy/mcp-guard.ts";
import { jsonRpcReply, type ProxyContext } from "../proxy/proxy-context.ts";
import { proxyStreamable } from "../proxy/streamable-proxy.ts";
import { getServices } from "../services.ts";
import type { Transport } from "../store/registry-store.ts";

type Env_ = { Bindings: Env };

const ENTRY_FOR: Record<Transport, string> = { "streamable-http": "mcp", sse: "sse" };

async function exchangeContext(c: Context<Env_>, transport: Transport): Promise<ProxyContext | Response> {
  const config = loadConfig(c.env);
  if (config.sessionSecret === null) throw new ConfigError("SESSION_SECRET is not set");
  const services = getServices(c.env);
  const principal = c.get("principal");
  const path = c.req.param("path") ?? "";
  const server = await services.directory.byPath(path);
  if (server === null || server.tenant !== principal.tenant || !server.enabled) {
    return jsonRpcReply(
      errorResponse(null, ErrorCode.InvalidRequest, `No enabled MCP server at /${path}`),
      404,
    );
  }
  if (!server.endpoints.some((candidate) => candidate.transport === transport)) {
    const other = server.endpoints[0]?.transport ?? "streamable-http";
    return jsonRpcReply(
      errorResponse(null, ErrorCode.InvalidRequest, `This server is reached at /${path}/${ENTRY_FOR[other]}`),
      404,
    );
  }
  return {
    request: c.req.raw,
    server,
    transport,
    env: c.env,
    waitUntil: c.executionCtx,
    principal,
    guard: await observePolicy(() => mcpGuardFor(services, principal, server.path)),
    secrets: secretsFromEnv(c.env),
    sessionSecret: config.sessionSecret,
    requestId: c.get("requestId") ?? crypto.randomUUID(),
    audit: (events) => services.auditor.record(c.executionCtx, events),
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
