// What makes an exchange of the aggregated machinery serve a virtual server:
// its endpoint (for the audit) and its own MCP server factory. Used by the
// route (stateless leg) and the McpSession object (session leg).
import type { ExchangeInit } from "../mcp/gateway-exchange.ts";
import type { VirtualServerRecord } from "../store/virtual-server-store.ts";
import { createVirtualGatewayServer } from "./virtual-gateway-server.ts";
import { virtualEndpoint } from "./virtual-server-service.ts";

export function virtualExchange(
  record: VirtualServerRecord,
): Pick<ExchangeInit, "endpoint" | "createServer"> {
  return {
    endpoint: virtualEndpoint(record.name),
    createServer: (exchange) => createVirtualGatewayServer(exchange, record),
  };
}
