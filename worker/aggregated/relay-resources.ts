// How an endpoint of the aggregated machinery names resources, for what the
// relay does with them outside a read: subscriptions (2025
// `resources/subscribe`, 2026 `subscriptions/listen` resourceSubscriptions)
// and `notifications/resources/updated`. The aggregated endpoint wraps URIs
// (`mcpgw://{server}/{uri}`); a virtual server keeps the upstream's own and
// routes a URI to the server its view lists it under.
import { approvedCatalog } from "../security/pinned-edge.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import type { VirtualServerRecord } from "../store/virtual-server-store.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { unwrapUri, wrapUri } from "./gateway-names.ts";
import { findExposedServer } from "./gateway-view.ts";
import { loadVirtualView, resourceFor } from "./virtual-view.ts";

/** A resource as the upstream knows it. */
export interface UpstreamResource {
  server: ServerRecord;
  uri: string;
}

export interface ResourceRouting {
  /**
   * The upstream resource behind `uri` (as the client names it) when the caller
   * may read it (policy `resources/read` on its server); null otherwise.
   */
  target(exchange: GatewayExchange, uri: string): Promise<UpstreamResource | null>;
  /** The URI the client knows for resource `uri` of server `serverPath`. */
  clientUri(serverPath: string, uri: string): string;
}

/** `/mcp`: `mcpgw://{server}/{uri}`, any server the caller may see. */
export const aggregatedResources: ResourceRouting = {
  async target(exchange, uri) {
    const target = unwrapUri(uri);
    if (!target) return null;
    const access = await exchange.access();
    if (!access.decide(target.server, "resources/read").allow) return null;
    const server = await findExposedServer(
      exchange.services.directory,
      exchange.principal,
      target.server,
      access,
    );
    return server ? { server, uri: target.uri } : null;
  },
  clientUri: wrapUri,
};

/** `/v/{name}/mcp`: the upstream's own URIs, only resources (or template matches) the view lists. */
export function virtualResources(record: VirtualServerRecord): ResourceRouting {
  return {
    async target(exchange, uri) {
      const { services, principal } = exchange;
      const access = await exchange.access();
      const view = await loadVirtualView(
        {
          store: services.store,
          directory: services.directory,
          approved: (server, entries) => approvedCatalog(services.approvals, server, entries),
        },
        principal,
        access,
        record,
      );
      // The view lists only what the caller may read.
      const item = resourceFor(view, uri);
      return item ? { server: item.server, uri } : null;
    },
    clientUri: (_server, uri) => uri,
  };
}
