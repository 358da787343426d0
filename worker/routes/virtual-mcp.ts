// Routes of the virtual servers' MCP endpoints `/v/{name}/mcp`: the same legs
// as `/mcp` (stateless 2026-07-28 in the Worker, session-based clients in
// their McpSession object, both read once by the ingress) with the virtual
// server's own view; and the legacy HTTP+SSE transport `/v/{name}/sse` (the
// event stream) with `/v/{name}/message` (the client's POSTs), bridged onto
// the session leg by a LegacySseSession object.
import { type Context, Hono } from "hono";
import { cancellableOnHangUp } from "../edge/hang-up.ts";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { jsonRpcError } from "../protocol/replies.ts";
import { virtualEndpoint } from "../virtual/virtual-server-service.ts";
import { serveAggregated } from "./aggregated-mcp.ts";
import { deliverLegacyMessage, openLegacyStream } from "./legacy-sse-bridge.ts";
import { mcpFront } from "./mcp-front.ts";

const ROUTE = "/v/:name/mcp";
const SSE_ROUTE = "/v/:name/sse";
const MESSAGE_ROUTE = "/v/:name/message";

const noSuchVirtualServer = () => jsonRpcError(404, ErrorCode.InvalidRequest, "No such virtual server");

export function virtualMcpRoutes() {
  const app = new Hono<{ Bindings: Env }>();
  app.use(ROUTE, mcpFront({ rateLimit: true, bodyLimit: true }));
  app.on(
    ["GET", "POST", "DELETE"],
    ROUTE,
    cancellableOnHangUp(async (c: Context<{ Bindings: Env }, typeof ROUTE>) => {
      const name = c.req.param("name");
      const record = await c.var.services.virtualServers.servable(c.get("principal").tenant, name);
      // Unknown, disabled and another tenant's virtual servers look alike.
      if (!record) return noSuchVirtualServer();
      return serveAggregated(c, { endpoint: virtualEndpoint(record.name), virtual: record });
    }),
  );

  app.use(SSE_ROUTE, mcpFront({ rateLimit: true, bodyLimit: false }));
  app.use(MESSAGE_ROUTE, mcpFront({ rateLimit: true, bodyLimit: true }));
  app.get(SSE_ROUTE, async (c) => {
    const record = await c.var.services.virtualServers.servable(
      c.get("principal").tenant,
      c.req.param("name"),
    );
    if (!record) return noSuchVirtualServer();
    const messagePath = `/v/${encodeURIComponent(record.name)}/message`;
    return openLegacyStream(c, { virtual: record.name }, messagePath);
  });
  app.post(MESSAGE_ROUTE, async (c) => {
    const record = await c.var.services.virtualServers.servable(
      c.get("principal").tenant,
      c.req.param("name"),
    );
    if (!record) return noSuchVirtualServer();
    return deliverLegacyMessage(c, { virtual: record.name });
  });
  app.all(ROUTE, () =>
    jsonRpcError(405, ErrorCode.InvalidRequest, "Method not allowed", {
      headers: { allow: "GET, POST, DELETE" },
    }),
  );
  return app;
}
