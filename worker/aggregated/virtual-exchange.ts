// What makes an exchange of the aggregated machinery serve a virtual server:
// its endpoint (for the audit) and its own MCP server factory. Used by the
// route (stateless leg) and the McpSession object (session leg).

import type { VirtualServerRecord } from "../store/virtual-server-store.ts";
import { virtualEndpoint } from "../virtual/virtual-server-service.ts";
import type { ExchangeInit } from "./gateway-exchange.ts";
import { virtualResources } from "./relay-resources.ts";
import { createVirtualGatewayServer } from "./virtual-gateway-server.ts";

export function virtualExchange(
  record: VirtualServerRecord,
): Pick<ExchangeInit, "endpoint" | "createServer" | "relayServers" | "resources"> {
  return {
    endpoint: virtualEndpoint(record.name),
    createServer: (exchange) => createVirtualGatewayServer(exchange, record),
    // The relay (list changes, subscriptions, log levels) reaches only the servers it draws from.
    relayServers: new Set(
      [...record.tools, ...record.resources, ...record.prompts].map((item) => item.server),
    ),
    resources: virtualResources(record),
  };
}
