// Durable Object names and stubs: the one place that knows how each object is
// named. A leaf module (imports nothing from the worker), so the code that
// talks to an object never imports the object's class.

/** ServerState: one per registered server. */
export function serverStateName(serverId: string): string {
  return `server:${serverId}`;
}

/** HealthHub: one per tenant. */
export function healthHubName(tenant: string): string {
  return `health:${tenant}`;
}

/** McpSession: one per session of a session-based client of /mcp. */
export function sessionObjectName(sessionId: string): string {
  return `session:${sessionId}`;
}

/** McpSession class, holding one upstream exchange that waits for a 2026 caller's input (aggregated/input-exchange.ts). */
export function inputExchangeName(id: string): string {
  return `input:${id}`;
}

/** RateLimiter holding one identity's counters. */
export function identityLimiterName(identity: string): string {
  return `ratelimit:identity:${identity}`;
}

/** RateLimiter holding one slice of a tenant's budget. */
export function tenantLimiterName(tenant: string, shard: number): string {
  return `ratelimit:tenant:${tenant}:${shard}`;
}

export function serverStateStub(env: Env, serverId: string) {
  return env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(serverId)));
}

export function healthHubStub(env: Env, tenant: string) {
  return env.HEALTH_HUB.get(env.HEALTH_HUB.idFromName(healthHubName(tenant)));
}

/**
 * An answer of the McpSession object that is one JSON body (a session call's
 * plain result, aggregated/session-streams.ts): it crosses the RPC boundary
 * as a plain object holding a string, which costs less on both sides than a
 * Response, whose body is streamed across; the Worker makes the Response.
 */
export interface JsonAnswer {
  status: number;
  json: string;
}

/** What the McpSession object answers a request with. */
export type SessionAnswer = Response | JsonAnswer;

/**
 * What the McpSession object vouches for about its session when a Worker asks
 * (`McpSession.facts`): enough for the Worker to serve the session's plain
 * calls itself (aggregated/session-ledger.ts). Only ever filled from the
 * object's own answer, never from client input.
 */
export interface SessionFacts {
  /** callerKey of the identity that created the session (tenant, issuer, subject). */
  owner: string;
  /** The virtual server (or per-server bridge) the session belongs to; null for `/mcp`. */
  virtual: string | null;
  protocolVersion: string;
  /** The client declared a capability the relay bridges (elicitation, sampling, roots). */
  bridges: boolean;
  /** `{serverId} {endpoint url}` -> the upstream session the object keeps for it. */
  upstream: Record<string, { sessionId: string; protocolVersion: string }>;
}

/** An upstream's notification for the session's standalone stream (list changes, resource updates). */
export interface SessionNotice {
  method: string;
  params?: Record<string, unknown>;
}

/** The HTTP response of a session object's answer (in the Worker). */
export function sessionResponse(answer: SessionAnswer): Response {
  if (answer instanceof Response) return answer;
  return new Response(answer.json, {
    status: answer.status,
    headers: { "content-type": "application/json" },
  });
}

export function sessionStub(env: Env, sessionId: string) {
  return env.MCP_SESSION.getByName(sessionObjectName(sessionId));
}

/** LegacySseSession: one per legacy HTTP+SSE client (`/v/{name}/sse`, `/{path}/sse` of a Streamable-HTTP-only server). */
export function legacySseStub(env: Env, id: string) {
  return env.LEGACY_SSE_SESSION.getByName(`legacy-sse:${id}`);
}
