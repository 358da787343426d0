// Protocol bridging on `/{path}/mcp` (issue 11): a 2026-07-28 client gets the
// 2026 wire (server/discover, per-request `_meta`, header validation, ...)
// whatever the server speaks. When the server's catalog says it speaks a
// session-based revision (or only the legacy SSE transport), the request is
// served by the aggregated machinery as a virtual server exposing exactly this
// server's catalog under its own names ("a virtual server over one server
// looks exactly like it"), which talks to the upstream in its own generation.
// Requests of session-based clients, and 2026 requests to a 2026 server, stay
// on the pass-through proxy. Which requests come here is decided in
// routes/server-mcp.ts on the caller's route (the server's generation is
// worked out once per route), so a plain proxied request runs no code here.
import type { Context } from "hono";
import { wholeServerScope } from "../aggregated/server-scope.ts";
import { McpRequest } from "../edge/ingress.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { serveAggregated } from "./aggregated-mcp.ts";

type Env_ = { Bindings: Env };

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
