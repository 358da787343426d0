// The gateway as an MCP server (aggregated endpoint `/mcp`): one SDK `Server`
// per exchange, built for the calling principal. This module only wires
// methods to handlers: lists come from the caller's view of the stored catalog
// (gateway-lists.ts), calls are checked and forwarded upstream
// (gateway-handlers.ts, gateway-forward.ts), and what upstreams send on their
// own (log messages, list changes, resource updates, their requests to the
// client) is relayed (gateway-relay.ts).
// The low-level `Server` is used on purpose: tools keep the upstream's own
// JSON Schemas, which the high-level McpServer would want as zod schemas.
import { Server } from "@modelcontextprotocol/server";
import { rejectCursor } from "./gateway-errors.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { GatewayHandlers } from "./gateway-handlers.ts";
import { registerRelayHandlers, relayCapabilities } from "./gateway-relay.ts";

// Virtual servers and older callers import these from here.
export { parseInput, refused, rejectCursor, unknownPrompt, unknownTool } from "./gateway-errors.ts";
export { forwardUpstream, relayed, type UpstreamCallOptions } from "./gateway-forward.ts";

export const GATEWAY_SERVER_INFO = { name: "mcp-gateway", title: "MCP Gateway", version: "0.1.0" };

const INSTRUCTIONS =
  "This gateway aggregates the MCP servers you may use. Tools are named {server}__{tool} and prompts " +
  "{server}__{prompt}; resource URIs are mcpgw://{server}/{original URI}. broadcast__{tool} calls a tool on " +
  "every server that has it, broadcast__by_tag__{tag} calls a tool on every server with a tag. " +
  "list_servers and server_health describe the servers; invoke_tool calls a tool by server and name.";

/** A fresh server for one exchange (the SDK's factory contract). */
export function createGatewayServer(exchange: GatewayExchange): Server {
  const server = new Server(GATEWAY_SERVER_INFO, {
    capabilities: relayCapabilities(exchange, { resources: true, prompts: true }),
    instructions: INSTRUCTIONS,
  });
  const gateway = new GatewayHandlers(exchange);

  server.setRequestHandler("tools/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { tools: await gateway.tools() };
  });
  server.setRequestHandler("tools/call", (request, ctx) =>
    gateway.callTool(request.params.name, request.params.arguments ?? {}, ctx),
  );
  server.setRequestHandler("resources/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { resources: await gateway.resources() };
  });
  server.setRequestHandler("resources/templates/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { resourceTemplates: await gateway.resourceTemplates() };
  });
  server.setRequestHandler("resources/read", (request, ctx) => gateway.readResource(request.params.uri, ctx));
  server.setRequestHandler("prompts/list", async (request) => {
    rejectCursor(request.params?.cursor);
    return { prompts: await gateway.prompts() };
  });
  server.setRequestHandler("prompts/get", (request, ctx) =>
    gateway.getPrompt(request.params.name, request.params.arguments ?? {}, ctx),
  );
  registerRelayHandlers(server, exchange);
  return server;
}
