// `subscriptions/listen` (2026-07-28) on the aggregated endpoint and virtual
// servers: the SDK's `createMcpHandler` owns the wire (ack first with the
// honoured filter, subscription-id stamping, per-stream filtering by the
// client's opt-ins and resource URIs, keep-alives, teardown when the client
// goes away); this module sources its events. Each listen request gets its
// own event bus, fed for as long as the stream is open by one upstream
// conversation per server the caller may see (a virtual server's: only those
// it draws from, at most MAX_LISTENED_SERVERS):
// - a 2026 upstream is asked with its own `subscriptions/listen` (the
//   client's filter, resource URIs translated to the upstream's);
// - a session-based upstream gets a session of its own whose standalone
//   stream the SDK client opens after `initialize`, plus `resources/subscribe`
//   for each subscribed URI; the session is ended (DELETE) with the stream.
// List changes are coalesced (COALESCE_MS, one event per kind) and retire
// the server's cached results; a resource update is published only for a URI
// the client subscribed to and may read. Nothing is heard from a server the
// caller may not see: nothing is listened to there.
import type { Client } from "@modelcontextprotocol/client";
import type { ServerEvent, ServerEventBus } from "@modelcontextprotocol/server";
import type { ServerRecord } from "../store/registry-store.ts";
import { applyEgress } from "../upstream/egress.ts";
import { UpstreamConnection } from "../upstream/upstream-client.ts";
import type { UpstreamNotice } from "../upstream/upstream-relay.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { resourceRouting, visibleServers } from "./gateway-relay.ts";
import { resultCache } from "./result-cache.ts";
import { LIST_CHANGED, ListChangeCoalescer } from "./session-relay.ts";

export const LISTEN_METHOD = "subscriptions/listen";

/** What a listen request opts in to (the 2026-07-28 `SubscriptionFilter`). */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

const EVENT_OF: Record<string, ServerEvent["kind"]> = {
  "notifications/tools/list_changed": "tools_list_changed",
  "notifications/prompts/list_changed": "prompts_list_changed",
  "notifications/resources/list_changed": "resources_list_changed",
};

const FILTER_OF: Record<string, keyof ListenFilter> = {
  "notifications/tools/list_changed": "toolsListChanged",
  "notifications/prompts/list_changed": "promptsListChanged",
  "notifications/resources/list_changed": "resourcesListChanged",
};

/** The filter of a body that is one `subscriptions/listen` request; null for any other body. */
export function listenFilter(exchange: GatewayExchange): ListenFilter | null {
  const messages = exchange.request.body?.messages;
  if (messages?.length !== 1) return null;
  const [entry] = messages;
  if (entry?.type !== "request" || entry.message.method !== LISTEN_METHOD) return null;
  const params = (entry.message.params ?? {}) as { notifications?: unknown };
  const filter = params.notifications;
  if (typeof filter !== "object" || filter === null) return {};
  const raw = filter as Record<string, unknown>;
  const out: ListenFilter = {};
  for (const key of ["toolsListChanged", "promptsListChanged", "resourcesListChanged"] as const) {
    if (raw[key] === true) out[key] = true;
  }
  if (Array.isArray(raw.resourceSubscriptions)) {
    out.resourceSubscriptions = raw.resourceSubscriptions.filter(
      (uri): uri is string => typeof uri === "string",
    );
  }
  return out;
}

/**
 * The event bus of one listen stream: its first subscriber (the SDK's listen
 * router, after the ack) starts the upstream conversations, its last
 * unsubscribe (the stream ended) stops them.
 */
export class UpstreamEventBus implements ServerEventBus {
  private readonly listeners = new Set<(event: ServerEvent) => void>();
  private stop: AbortController | null = null;

  constructor(
    private readonly exchange: GatewayExchange,
    private readonly filter: ListenFilter,
  ) {}

  publish(event: ServerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // One stream's failure is not another's.
      }
    }
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.stop) {
      const stop = new AbortController();
      this.stop = stop;
      feedListen(this.exchange, this.filter, (event) => this.publish(event), stop.signal).catch(() => {});
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop?.abort();
    };
  }
}

/** Listens on every upstream the caller may see until `signal`; publishes what the client opted in to. */
async function feedListen(
  exchange: GatewayExchange,
  filter: ListenFilter,
  publish: (event: ServerEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const routing = resourceRouting(exchange);
  // Subscribed URIs the caller may read, per server: only these are subscribed upstream and relayed.
  const subscribed = new Map<string, Map<string, string>>();
  for (const uri of new Set(filter.resourceSubscriptions ?? [])) {
    const target = await routing.target(exchange, uri).catch(() => null);
    if (!target) continue;
    const uris = subscribed.get(target.server.id) ?? new Map<string, string>();
    uris.set(target.uri, uri);
    subscribed.set(target.server.id, uris);
  }
  const coalescer = new ListChangeCoalescer((method) => {
    const kind = EVENT_OF[method];
    if (kind) publish({ kind } as ServerEvent);
  });
  signal.addEventListener("abort", () => coalescer.stop(), { once: true });
  const servers = await visibleServers(exchange);
  await Promise.allSettled(
    servers.map((server) =>
      listenServer(exchange, server, filter, subscribed.get(server.id) ?? new Map(), signal, (notice) => {
        if (LIST_CHANGED.has(notice.method) || notice.method === "notifications/resources/updated") {
          // A changed list or resource retires this isolate's cached results of the server (result-cache.ts).
          resultCache.invalidateServer(server.id);
        }
        if (LIST_CHANGED.has(notice.method)) {
          if (filter[FILTER_OF[notice.method] as keyof ListenFilter]) coalescer.add(notice.method);
          return;
        }
        if (notice.method !== "notifications/resources/updated") return;
        const uri = notice.params?.uri;
        const clientUri = typeof uri === "string" ? subscribed.get(server.id)?.get(uri) : undefined;
        if (clientUri === undefined) return;
        const { uri: _upstreamUri, ...params } = notice.params ?? {};
        publish({ kind: "resource_updated", uri: clientUri, params } as ServerEvent);
      }),
    ),
  );
}

/** One upstream conversation held open for a listen stream. */
async function listenServer(
  exchange: GatewayExchange,
  server: ServerRecord,
  filter: ListenFilter,
  uris: Map<string, string>,
  signal: AbortSignal,
  onNotice: (notice: UpstreamNotice) => void,
): Promise<void> {
  const endpoint = server.endpoints[0];
  if (!endpoint || signal.aborted) return;
  const egress = applyEgress(endpoint.url, server.egress, exchange.secrets);
  const connection = new UpstreamConnection(
    { url: egress.url, transport: endpoint.transport, headers: egress.headers },
    {
      signal,
      fetch: exchange.services.egress.fetch,
      negotiation: "auto",
      // Requests on a listen stream belong to no client request: nothing can answer them.
      relay: { capabilities: {}, request: refuse, notify: onNotice },
    },
  );
  try {
    await connection.connect({ signal, timeout: server.timeoutMs });
    await subscribeUpstream(connection.client, filter, [...uris.keys()], server.timeoutMs);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } catch {
    // An upstream that cannot be listened to stays silent; the others still speak.
  } finally {
    await connection.close(true);
  }
}

/** A 2026 upstream: its own listen stream; a session-based one: resources/subscribe per URI. */
async function subscribeUpstream(
  client: Client,
  filter: ListenFilter,
  uris: string[],
  timeoutMs: number,
): Promise<void> {
  const capabilities = client.getServerCapabilities();
  if (client.getProtocolEra() === "modern") {
    await client.listen(
      {
        ...(filter.toolsListChanged && { toolsListChanged: true }),
        ...(filter.promptsListChanged && { promptsListChanged: true }),
        ...(filter.resourcesListChanged && { resourcesListChanged: true }),
        ...(uris.length > 0 && { resourceSubscriptions: uris }),
      },
      { timeout: timeoutMs },
    );
    return;
  }
  if (!capabilities?.resources?.subscribe) return;
  await Promise.allSettled(uris.map((uri) => client.subscribeResource({ uri }, { timeout: timeoutMs })));
}

async function refuse(): Promise<Record<string, unknown>> {
  throw new Error("no client request to relay this to");
}
