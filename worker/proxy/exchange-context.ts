// The ProxyContext of one proxied exchange, built the same way wherever the
// per-server proxy is entered: the `/{path}/mcp|sse|message` routes and the
// legacy SSE bridge's server leg (durable-objects/legacy-sse-legs.ts). The
// caller brings the request value (read or rebuilt from a snapshot) and the
// server it found; this adds the policy, the caller's egress secrets (or the
// "connect your account" reply) and the pinned-tools guard.

import type { EdgeDeps, McpRequest } from "../edge/ingress.ts";
import { pinnedGuard } from "../edge/pinned-guard.ts";
import { ConfigError } from "../http/errors.ts";
import { baseUrl } from "../http/resource.ts";
import type { ServerRecord, Transport } from "../store/registry-store.ts";
import { connectionRequiredReply } from "../upstream/connection-required.ts";
import { ConnectionRequiredError, callerSecrets, secretsFromEnv } from "../upstream/egress.ts";
import type { ProxyContext } from "./proxy-context.ts";
import type { ProxyRoute } from "./proxy-route.ts";

export interface ExchangeInputs {
  mcp: McpRequest;
  server: ServerRecord;
  /** The transport the gateway speaks to the server (may differ from the client's entry). */
  transport: Transport;
  deps: EdgeDeps;
  /** Aborts when the client hangs up; the request value's own signal (`mcp.signal`) when not given. */
  clientGone?: AbortSignal;
  /** The gateway's public base URL, for per-user connection links; worked out from the request when not given. */
  publicBase?: string;
  /**
   * The caller's cached route to the server (proxy/proxy-route.ts): its guard,
   * and its secrets unless they are per user. Without it, policy and approved
   * tools are looked up here.
   */
  route?: Pick<ProxyRoute, "guard" | "secrets">;
}

export async function exchangeContextFor(inputs: ExchangeInputs): Promise<ProxyContext | Response> {
  const { mcp, server, deps } = inputs;
  const { services, config, env } = deps;
  if (config.sessionSecret === null) throw new ConfigError("SESSION_SECRET is not set");
  // Per-user egress: the caller's own token, or the "connect your account" reply.
  let secrets = inputs.route?.secrets ?? null;
  if (secrets === null) {
    try {
      // The gateway's public base URL, for the "connect your account" link (worked out only here).
      const base = inputs.publicBase ?? baseUrl(config.publicUrl, mcp.http.url);
      const credentials = services.connections.callerCredentials(base);
      secrets = await callerSecrets(server, mcp.principal, secretsFromEnv(env), credentials);
    } catch (error) {
      if (error instanceof ConnectionRequiredError) return connectionRequiredReply(mcp.body, error);
      throw error;
    }
  }
  return {
    mcp,
    request: mcp.http,
    clientGone: inputs.clientGone ?? mcp.signal,
    server,
    transport: inputs.transport,
    env,
    resilience: { env, settings: config.resilience },
    waitUntil: deps.waitUntil,
    principal: mcp.principal,
    // Tool pinning (issue 14): tools/list and tools/call held to the approved catalog.
    guard: inputs.route?.guard ?? (await uncachedGuard(mcp, server, deps)),
    secrets,
    upstreamFetch: services.egress.fetch,
    sessionSecret: config.sessionSecret,
    requestId: mcp.requestId,
  };
}

/** Policy and approved tools looked up for this request alone (entries that have no cached route). */
async function uncachedGuard(mcp: McpRequest, server: ServerRecord, deps: EdgeDeps) {
  const access = await mcp.access();
  return pinnedGuard(
    access.forServer(server.path),
    await deps.services.approvals.pinsFor(server.tenant, server.id),
  );
}
