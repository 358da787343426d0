// Routes of the per-server MCP endpoints: `/{path}/mcp` (Streamable HTTP),
// `/{path}/sse` and `/{path}/message` (legacy HTTP+SSE). Thin: the ingress
// reads the request once, the usable-server rule finds the server, the proxy
// wing answers.
import type { Context } from "hono";
import { Hono } from "hono";
import { cancellableOnHangUp } from "../edge/hang-up.ts";
import { McpRequest } from "../edge/ingress.ts";
import { observePolicy } from "../observability/hooks.ts";
import { ErrorCode, isStatelessVersion } from "../protocol/jsonrpc.ts";
import { jsonRpcError } from "../protocol/replies.ts";
import { exchangeContextFor } from "../proxy/exchange-context.ts";
import { proxyLegacyMessage, proxyLegacyStream } from "../proxy/legacy-sse-proxy.ts";
import type { ProxyContext } from "../proxy/proxy-context.ts";
import { type ProxyRoute, proxyRouteFor } from "../proxy/proxy-route.ts";
import { proxyStreamable } from "../proxy/streamable-proxy.ts";
import type { ServerRecord, Transport } from "../store/registry-store.ts";
import { servedByLegacyBridge, serveLegacyBridge } from "./legacy-sse-bridge.ts";
import { mcpFront } from "./mcp-front.ts";
import { serve2026Bridge } from "./server-mcp-2026.ts";
import { serveSessionClient } from "./server-mcp-session-bridge.ts";

type Env_ = { Bindings: Env };

const ENTRY_FOR: Record<Transport, string> = { "streamable-http": "mcp", sse: "sse" };

/** The caller's route to the usable server at `/{path}` it may see, or the reply that says there is none. */
async function routeFor(c: Context<Env_>): Promise<ProxyRoute | Response> {
  const path = c.req.param("path") ?? "";
  // Server, visibility, policy and approved tools: one isolate-cached entry (proxy/proxy-route.ts).
  // `c.get`, not `c.var`: Hono's `c.var` copies every context variable into a new object per read.
  const route = await observePolicy(() => proxyRouteFor(c.get("services"), c.env, c.get("principal"), path));
  if (route === null) {
    return jsonRpcError(404, ErrorCode.InvalidRequest, `No enabled MCP server at /${path}`);
  }
  return route;
}

async function exchangeContext(
  c: Context<Env_>,
  server: ServerRecord,
  entry: Transport,
  route: ProxyRoute,
): Promise<ProxyContext | Response> {
  const path = server.path;
  let transport = entry;
  // Transport bridging (proxy/sse-bridge.ts): a Streamable HTTP client reaches an SSE-only server.
  if (entry === "streamable-http" && !server.endpoints.some((e) => e.transport === entry)) transport = "sse";
  if (!server.endpoints.some((candidate) => candidate.transport === transport)) {
    const other = server.endpoints[0]?.transport ?? "streamable-http";
    return jsonRpcError(
      404,
      ErrorCode.InvalidRequest,
      `This server is reached at /${path}/${ENTRY_FOR[other]}`,
    );
  }
  const deps = {
    services: c.get("services"),
    config: c.get("config"),
    env: c.env,
    waitUntil: c.executionCtx,
  };
  const mcp = await McpRequest.read(c.req.raw, {
    principal: c.get("principal"),
    requestId: c.get("requestId") ?? crypto.randomUUID(),
    deps,
    // The proxy reads method, URL and headers only: the request itself serves (no copy).
    keepRequest: true,
  });
  // The client's signal is the request value's own (`mcp.signal`, edge/hang-up.ts read once by the ingress).
  return exchangeContextFor({ mcp, server, transport, deps, route });
}

/** `/{path}/mcp` through the per-server proxy (the pass-through). */
async function passThrough(c: Context<Env_>, route: ProxyRoute): Promise<Response> {
  const ctx = await exchangeContext(c, route.server, "streamable-http", route);
  return ctx instanceof Response ? ctx : proxyStreamable(ctx);
}

export function serverMcpRoutes() {
  const app = new Hono<Env_>();
  for (const entry of ["/:path/mcp", "/:path/sse", "/:path/message"]) {
    app.use(entry, mcpFront({ rateLimit: false, bodyLimit: true }));
  }

  app.on(
    ["GET", "POST", "DELETE"],
    "/:path/mcp",
    cancellableOnHangUp(async (c) => {
      const route = await routeFor(c);
      if (route instanceof Response) return route;
      const { server } = route;
      const statelessClient = isStatelessVersion(c.req.raw.headers.get("mcp-protocol-version"));
      // A 2026-07-28 client of a server that does not speak it (routes/server-mcp-2026.ts): the 2026
      // wire whatever the server speaks.
      if (statelessClient && (route.sseOnly || !route.speaks2026)) return serve2026Bridge(c, server);
      // A session client of a server that may speak only 2026-07-28 (routes/server-mcp-session-bridge.ts).
      if (!statelessClient && route.speaks2026)
        return serveSessionClient(c, server, () => passThrough(c, route));
      return passThrough(c, route);
    }),
  );
  app.get("/:path/sse", async (c) => {
    const route = await routeFor(c);
    const server = route instanceof Response ? route : route.server;
    // A Streamable-HTTP-only server: a LegacySseSession bridges (routes/legacy-sse-bridge.ts).
    if (servedByLegacyBridge(c, server)) return serveLegacyBridge(c);
    const ctx = route instanceof Response ? route : await exchangeContext(c, route.server, "sse", route);
    return ctx instanceof Response ? ctx : proxyLegacyStream(ctx);
  });
  app.post("/:path/message", async (c) => {
    const route = await routeFor(c);
    const server = route instanceof Response ? route : route.server;
    if (servedByLegacyBridge(c, server)) return serveLegacyBridge(c);
    const ctx = route instanceof Response ? route : await exchangeContext(c, route.server, "sse", route);
    return ctx instanceof Response ? ctx : proxyLegacyMessage(ctx);
  });
  return app;
}
