// The ProxyContext of one proxied exchange, built the same way wherever the
// per-server proxy is entered: the `/{path}/mcp|sse|message` routes and the
// legacy SSE bridge's server leg (durable-objects/legacy-sse-legs.ts). The
// caller brings the request value (read or rebuilt from a snapshot) and the
// server it found; this adds the policy, the caller's egress secrets (or the
// "connect your account" reply) and the pinned-tools guard.

import type { EdgeDeps, McpRequest } from "../edge/ingress.ts";
import { pinnedGuard } from "../edge/pinned-guard.ts";
import { ConfigError } from "../http/errors.ts";
import type { ServerRecord, Transport } from "../store/registry-store.ts";
import { connectionRequiredReply } from "../upstream/connection-required.ts";
import { ConnectionRequiredError, callerSecrets, secretsFromEnv } from "../upstream/egress.ts";
import type { ProxyContext } from "./proxy-context.ts";

export interface ExchangeInputs {
  mcp: McpRequest;
  server: ServerRecord;
  /** The transport the gateway speaks to the server (may differ from the client's entry). */
  transport: Transport;
  deps: EdgeDeps;
  /** Aborts when the client hangs up. */
  clientGone: AbortSignal;
  /** The gateway's public base URL, for per-user connection links. */
  publicBase: string;
}

export async function exchangeContextFor(inputs: ExchangeInputs): Promise<ProxyContext | Response> {
  const { mcp, server, deps } = inputs;
  const { services, config, env } = deps;
  if (config.sessionSecret === null) throw new ConfigError("SESSION_SECRET is not set");
  const access = await mcp.access();
  // Per-user egress: the caller's own token, or the "connect your account" reply.
  let secrets: ProxyContext["secrets"];
  try {
    const credentials = services.connections.callerCredentials(inputs.publicBase);
    secrets = await callerSecrets(server, mcp.principal, secretsFromEnv(env), credentials);
  } catch (error) {
    if (error instanceof ConnectionRequiredError) return connectionRequiredReply(mcp.body, error);
    throw error;
  }
  return {
    mcp,
    request: mcp.http,
    clientGone: inputs.clientGone,
    server,
    transport: inputs.transport,
    env,
    resilience: { env, settings: config.resilience },
    waitUntil: deps.waitUntil,
    principal: mcp.principal,
    // Tool pinning (issue 14): tools/list and tools/call held to the approved catalog.
    guard: pinnedGuard(
      access.forServer(server.path),
      await services.approvals.pinsFor(server.tenant, server.id),
    ),
    secrets,
    upstreamFetch: services.egress.fetch,
    sessionSecret: config.sessionSecret,
    requestId: mcp.requestId,
  };
}
