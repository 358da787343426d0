// The Streamable HTTP legs a LegacySseSession bridges a legacy HTTP+SSE
// client onto. Each leg stands for one Streamable HTTP endpoint and serves the
// client's POSTs (turned into Streamable HTTP requests by the object) exactly
// as that endpoint would:
// - virtualLeg: `/v/{name}/mcp`, the session leg of a virtual server (an
//   McpSession object, as for any session-based client);
// - serverLeg: `/{path}/mcp`, the per-server proxy (proxy/streamable-proxy.ts)
//   for a server that speaks only Streamable HTTP: visibility, policy per
//   message, the pinned-tools guard, audit, egress credentials and the SSRF
//   guard are the per-server path's own, and the upstream session is the
//   sealed `Mcp-Session-Id` that path hands its clients.

import { type IngressSnapshot, McpRequest } from "../worker/edge/ingress.ts";
import { findUsableServer } from "../worker/edge/usable-servers.ts";
import type { GatewayConfig } from "../worker/env.ts";
import type { WaitUntil } from "../worker/observability/audit.ts";
import { sessionResponse, sessionStub } from "../worker/platform/durable-objects.ts";
import { randomHex } from "../worker/platform/encoding.ts";
import { ErrorCode } from "../worker/protocol/jsonrpc.ts";
import { jsonRpcError } from "../worker/protocol/replies.ts";
import { exchangeContextFor } from "../worker/proxy/exchange-context.ts";
import type { ProxyContext } from "../worker/proxy/proxy-context.ts";
import { proxyStreamable } from "../worker/proxy/streamable-proxy.ts";
import { canSee } from "../worker/registry/visibility.ts";
import type { Services } from "../worker/services.ts";

/** The session a legacy client is bridged to, once its `initialize` succeeded. */
export interface BridgedSession {
  /** The Mcp-Session-Id the leg's endpoint handed out. */
  id: string;
  protocolVersion: string;
}

export interface LegacyLeg {
  /** Path of the Streamable HTTP endpoint the leg stands for (`/v/{name}/mcp`, `/{path}/mcp`). */
  readonly endpointPath: string;
  /** One POST; `session` is null for the client's `initialize`. Answers the session id in use after it. */
  post(request: IngressSnapshot, session: BridgedSession | null): Promise<LegAnswer>;
  /** The standalone stream (server-initiated messages), or null when the leg has none. */
  listen(request: IngressSnapshot): Promise<Response | null>;
  /** Ends the bridged session (DELETE); best effort. */
  end(request: IngressSnapshot, session: BridgedSession): Promise<void>;
}

export interface LegAnswer {
  response: Response;
  sessionId: string | null;
}

export function virtualLeg(env: Env, name: string): LegacyLeg {
  return {
    endpointPath: `/v/${encodeURIComponent(name)}/mcp`,
    async post(request, session) {
      if (session === null) {
        const id = randomHex(32);
        return { response: await sessionStub(env, id).open(request, id, name), sessionId: id };
      }
      const answer = await sessionStub(env, session.id).handle(request, name);
      return { response: sessionResponse(answer), sessionId: session.id };
    },
    // The McpSession relays what its upstreams send within each exchange.
    listen: async () => null,
    async end(request, session) {
      await sessionStub(env, session.id).end(request, name);
    },
  };
}

export interface ServerLegDeps {
  env: Env;
  services: Services;
  config: GatewayConfig;
  waitUntil: WaitUntil;
  /** Aborts when the legacy client's stream is gone: ends the upstream stream at once. */
  clientGone: AbortSignal;
}

export function serverLeg(deps: ServerLegDeps, path: string): LegacyLeg {
  const serve = async (request: IngressSnapshot): Promise<Response> => {
    const ctx = await proxyContext(deps, request, path);
    return ctx instanceof Response ? ctx : proxyStreamable(ctx);
  };
  return {
    endpointPath: `/${path}/mcp`,
    async post(request, session) {
      const response = await serve(request);
      // The proxy hands a new token when it had to reopen the upstream session.
      return { response, sessionId: response.headers.get("mcp-session-id") ?? session?.id ?? null };
    },
    listen: serve,
    async end(request) {
      const response = await serve(request);
      await response.body?.cancel();
    },
  };
}

/**
 * What the route builds for `/{path}/mcp` (routes/server-mcp.ts), built here
 * for each bridged request: the server is looked up again every time, so a
 * server disabled, hidden or re-pinned since the stream opened is held to it.
 */
async function proxyContext(
  deps: ServerLegDeps,
  request: IngressSnapshot,
  path: string,
): Promise<ProxyContext | Response> {
  const { env, services, config, waitUntil } = deps;
  const principal = request.principal;
  const found = await findUsableServer(services.directory, principal, path);
  const visible = found !== null && canSee(await services.access.viewer(principal), found) ? found : null;
  const server = visible?.endpoints.some((e) => e.transport === "streamable-http") ? visible : null;
  if (server === null)
    return jsonRpcError(404, ErrorCode.InvalidRequest, `No enabled MCP server at /${path}`);
  const edge = { services, config, env, waitUntil };
  const mcp = McpRequest.fromSnapshot(request, { deps: edge });
  return exchangeContextFor({
    mcp,
    server,
    transport: "streamable-http",
    deps: edge,
    clientGone: deps.clientGone,
    publicBase: config.publicUrl ?? new URL(request.url).origin,
  });
}
