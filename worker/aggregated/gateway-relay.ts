// Relay between the gateway's caller and its upstreams, beyond a call's
// result and progress (issue 11):
// - during a call: the upstream's log messages reach the caller on the call's
//   stream (a 2026 caller only when it set `io.modelcontextprotocol/logLevel`,
//   filtered to that level); its elicitation, sampling and roots requests
//   reach a session client as requests on the call's stream (session-relay.ts);
// - `logging/setLevel` is forwarded to every upstream the caller may see;
// - `resources/subscribe` / `resources/unsubscribe` are checked like
//   resources/read and forwarded to the resource's upstream;
// - a session client's standalone stream listens on the upstream sessions of
//   the servers it may see, so their list changes (coalesced) and updates of
//   subscribed resources reach it, and nothing from a server it may not see.

import type { LoggingLevel, Server, ServerCapabilities, ServerContext } from "@modelcontextprotocol/server";
import { ProtocolError } from "@modelcontextprotocol/server";
import { ErrorCode } from "../protocol/jsonrpc.ts";
import { approvedCatalog } from "../security/pinned-edge.ts";
import type { ServerRecord } from "../store/registry-store.ts";
import { applyEgress } from "../upstream/egress.ts";
import { callUpstream, type UpstreamRequest } from "../upstream/upstream-call.ts";
import { listenUpstream } from "../upstream/upstream-listener.ts";
import type { UpstreamRelay } from "../upstream/upstream-relay.ts";
import { refused } from "./gateway-errors.ts";
import type { GatewayExchange } from "./gateway-exchange.ts";
import { unwrapUri } from "./gateway-names.ts";
import { loadGatewayView } from "./gateway-view.ts";
import { aggregatedResources, type ResourceRouting, type UpstreamResource } from "./relay-resources.ts";
import { resultCache } from "./result-cache.ts";
import type { SessionRelay } from "./session-relay.ts";

/** Upstreams a session's standalone stream listens to (and `logging/setLevel` reaches) at most. */
export const MAX_LISTENED_SERVERS = 16;

const LEVELS: LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];
const LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel";

/** What one forwarded request relays besides progress; undefined when there is nothing to relay. */
export function upstreamRelay(
  exchange: GatewayExchange,
  ctx: ServerContext,
  serverPath: string,
): UpstreamRelay | undefined {
  const channel = exchange.clientChannel;
  const minimum = exchange.generation === "stateless" ? requestLogLevel(ctx) : "debug";
  if (!channel && minimum === null) return undefined;
  const shed = channel?.shed;
  return {
    capabilities: channel?.capabilities ?? {},
    // The upstream closed the call's stream to be polled: the session client's is closed too (SEP-1699).
    ...(shed && { polling: (reconnect: () => void) => shed(ctx.mcpReq.id, reconnect) }),
    request: (method, params, signal) => {
      if (!channel) throw new ProtocolError(ErrorCode.InvalidRequest, `the client cannot answer ${method}`);
      return channel.request(ctx.mcpReq.id, method, params, signal);
    },
    notify: (notice) => {
      if (notice.method === "notifications/message") {
        if (minimum === null || !atLeast(notice.params?.level, minimum)) return;
        ctx.mcpReq.notify({ method: notice.method, params: notice.params ?? {} }).catch(() => {});
        return;
      }
      channel?.notify(serverPath, notice);
    },
  };
}

function requestLogLevel(ctx: ServerContext): LoggingLevel | null {
  const level = (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[LOG_LEVEL_KEY];
  return LEVELS.includes(level as LoggingLevel) ? (level as LoggingLevel) : null;
}

function atLeast(level: unknown, minimum: LoggingLevel): boolean {
  const rank = LEVELS.indexOf(level as LoggingLevel);
  return rank === -1 || rank >= LEVELS.indexOf(minimum);
}

/**
 * The capabilities an endpoint's server declares for the relay: list changes
 * of every kind it serves (relayed from its upstreams: the session's
 * standalone stream, or `subscriptions/listen`), resource subscriptions
 * (2025 `resources/subscribe` needs the session; 2026 subscribes on
 * `subscriptions/listen`) and logging: a session's `logging/setLevel`, a
 * 2026 request's `io.modelcontextprotocol/logLevel` (without the declared
 * capability the SDK server refuses to send `notifications/message`).
 */
export function relayCapabilities(
  _exchange: GatewayExchange,
  serves: { resources: boolean; prompts: boolean },
): ServerCapabilities {
  // Declared from `initialize` on (answered before the session's relay channel exists).
  return {
    tools: { listChanged: true },
    ...(serves.resources && { resources: { listChanged: true, subscribe: true } }),
    ...(serves.prompts && { prompts: { listChanged: true } }),
    logging: {},
  };
}

/**
 * logging/setLevel and resources/(un)subscribe on a session's server. Only a
 * session can hold them: the level and the subscriptions outlive the request.
 */
export function registerRelayHandlers(server: Server, exchange: GatewayExchange): void {
  const channel = exchange.clientChannel;
  if (!channel) return;
  server.setRequestHandler("logging/setLevel", async (request) => {
    const servers = await visibleServers(exchange);
    await Promise.allSettled(
      servers.map((record) =>
        sendUpstream(exchange, record, { method: "logging/setLevel", params: request.params }),
      ),
    );
    return {};
  });
  if (!server.getCapabilities().resources?.subscribe) return;
  server.setRequestHandler("resources/subscribe", async (request, ctx) => {
    const uri = request.params.uri;
    const target = await subscribable(exchange, ctx, uri);
    await sendUpstream(exchange, target.server, {
      method: "resources/subscribe",
      params: { uri: target.uri },
    });
    channel.subscriptions.add(uri);
    return {};
  });
  server.setRequestHandler("resources/unsubscribe", async (request, ctx) => {
    const uri = request.params.uri;
    channel.subscriptions.delete(uri);
    const target = await subscribable(exchange, ctx, uri);
    await sendUpstream(exchange, target.server, {
      method: "resources/unsubscribe",
      params: { uri: target.uri },
    });
    return {};
  });
}

/** The endpoint's resource routing (the aggregated endpoint's unless the exchange brings its own). */
export function resourceRouting(exchange: GatewayExchange): ResourceRouting {
  return exchange.resources ?? aggregatedResources;
}

/** The upstream and its own URI for a resource the caller may read; refusals as for resources/read. */
async function subscribable(
  exchange: GatewayExchange,
  ctx: ServerContext,
  uri: string,
): Promise<UpstreamResource> {
  const target = await resourceRouting(exchange).target(exchange, uri);
  const access = await exchange.access();
  // Recorded for the audit; a refusal says why, as a read would.
  const decision = target ? access.decide(target.server.path, "resources/read") : null;
  if (decision) exchange.decided(ctx.mcpReq.id, decision);
  if (!target) {
    const unwrapped = exchange.resources ? null : unwrapUri(uri);
    const refusal = unwrapped && access.decide(unwrapped.server, "resources/read");
    if (refusal && !refusal.allow) {
      exchange.decided(ctx.mcpReq.id, refusal);
      throw refused(refusal.reason);
    }
    throw new ProtocolError(ErrorCode.InvalidParams, `Resource not found: ${uri}`, { uri });
  }
  return target;
}

/** One relay request upstream in the client's upstream session (opened if needed). */
async function sendUpstream(
  exchange: GatewayExchange,
  server: ServerRecord,
  request: UpstreamRequest,
): Promise<void> {
  await callUpstream(server, request, {
    secrets: exchange.secrets,
    lease: exchange.lease,
    fetch: exchange.services.egress.fetch,
    ...(exchange.upstreamSessions && { sessions: exchange.upstreamSessions }),
    ...(exchange.clientChannel && {
      relay: { capabilities: exchange.clientChannel.capabilities, request: refuse },
    }),
    defer: (work) => exchange.defer(work),
  });
}

async function refuse(): Promise<Record<string, unknown>> {
  throw new ProtocolError(ErrorCode.InvalidRequest, "no client request to relay this to");
}

/** The exposed servers the caller may see (a virtual server's: only those it draws from). */
export async function visibleServers(exchange: GatewayExchange): Promise<ServerRecord[]> {
  const access = await exchange.access();
  const view = await loadGatewayView(exchange.services.store, exchange.principal, access, (server, entries) =>
    approvedCatalog(exchange.services.approvals, server, entries),
  );
  const within = exchange.relayServers;
  return view.servers
    .filter((entry) => entry.exposed && (within === undefined || within.has(entry.server.path)))
    .map((entry) => entry.server)
    .slice(0, MAX_LISTENED_SERVERS);
}

/**
 * Holds the session's standalone stream fed: for each server the caller may
 * see where this client session has an upstream session, a listener on that
 * session's standalone stream, until `signal`. Opening the stream costs the
 * upstreams nothing new; a server called later is listened to from then on
 * (the session object calls this again when it stores an upstream session).
 */
export async function listenForClient(
  exchange: GatewayExchange,
  relay: SessionRelay,
  signal: AbortSignal,
): Promise<void> {
  const sessions = exchange.upstreamSessions;
  if (!sessions || signal.aborted) return;
  const servers = await visibleServers(exchange);
  await Promise.allSettled(
    servers.map(async (server) => {
      const endpoint = server.endpoints.find(
        (candidate) =>
          candidate.transport === "streamable-http" && sessions.get(`${server.id} ${candidate.url}`),
      );
      const key = endpoint && `${server.id} ${endpoint.url}`;
      const session = key && sessions.get(key);
      if (!endpoint || !key || !session || relay.listened.has(key) || signal.aborted) return;
      relay.listened.add(key);
      try {
        const egress = applyEgress(endpoint.url, server.egress, exchange.secrets);
        const listening = await listenUpstream(
          { url: egress.url, transport: endpoint.transport, headers: egress.headers },
          session,
          (message) => {
            // Requests on the standalone stream belong to no client request: nothing can answer them.
            if (typeof message.method !== "string" || "id" in message) return;
            const params = message.params as Record<string, unknown> | undefined;
            // A changed list or resource retires this isolate's cached results of the server (result-cache.ts).
            if (
              message.method.endsWith("/list_changed") ||
              message.method === "notifications/resources/updated"
            ) {
              resultCache.invalidateServer(server.id);
            }
            relay.upstreamNotice(server.path, { method: message.method, ...(params && { params }) });
          },
          signal,
          exchange.services.egress.fetch,
        );
        await listening.done;
      } finally {
        relay.listened.delete(key);
      }
    }),
  );
}
