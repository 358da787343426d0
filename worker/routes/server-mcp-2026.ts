// Protocol bridging on `/{path}/mcp` (issue 11): a 2026-07-28 client gets the
// 2026 wire (server/discover, per-request `_meta`, header validation, ...)
// whatever the server speaks. When the server's catalog says it speaks a
// session-based revision (or only the legacy SSE transport), the request is
// served by the aggregated machinery as a virtual server exposing exactly this
// server's catalog under its own names ("a virtual server over one server
// looks exactly like it"), which talks to the upstream in its own generation.
// Requests of session-based clients, and 2026 requests to a 2026 server, stay
// on the pass-through proxy.
import type { Context } from "hono";
import { wholeServerScope } from "../aggregated/server-scope.ts";
import { McpRequest } from "../edge/ingress.ts";
import { isStatelessVersion } from "../protocol/jsonrpc.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { serveAggregated } from "./aggregated-mcp.ts";

type Env_ = { Bindings: Env };

/** True when this request needs the 2026 wire that `server` does not speak. */
export function needs2026Bridge(request: Request, server: ServerRecord): boolean {
  if (!isStatelessVersion(request.headers.get("mcp-protocol-version"))) return false;
  const sseOnly = !server.endpoints.some((endpoint) => endpoint.transport === "streamable-http");
  return sseOnly || !isStatelessVersion(server.catalog.protocolVersion);
}

/**
 * True when `request` is a session client's and `server` may speak only
 * 2026-07-28 (its catalog reports it): routes/server-mcp-session-bridge.ts
 * decides. Kept here, with the other generation check, so a plain proxied
 * request runs no code of that module.
 */
export function mayNeedSessionBridge(request: Request, server: ServerRecord): boolean {
  return (
    !isStatelessVersion(request.headers.get("mcp-protocol-version")) &&
    isStatelessVersion(server.catalog.protocolVersion)
  );
}

/** Serves the request as a virtual server over the whole (approved, visible) catalog of `server`. */
export async function serve2026Bridge(c: Context<Env_>, server: ServerRecord): Promise<Response> {
  const whole = await wholeServerScope(c.var.services, server);
  const { services, config } = c.var;
  const request = await McpRequest.read(c.req.raw, {
    principal: c.get("principal"),
    requestId: c.get("requestId") ?? crypto.randomUUID(),
    deps: { services, config, env: c.env, waitUntil: c.executionCtx },
    keepRequest: true,
  });
  // serveAggregated validates Mcp-Method/Mcp-Name against the body (-32020) like the pass-through does.
  return serveAggregated(c, { endpoint: `/${server.path}/mcp`, virtual: whole }, request);
}
