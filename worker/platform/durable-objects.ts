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

export function sessionStub(env: Env, sessionId: string) {
  return env.MCP_SESSION.getByName(sessionObjectName(sessionId));
}

/** LegacySseSession: one per legacy HTTP+SSE client (`/v/{name}/sse`, `/{path}/sse` of a Streamable-HTTP-only server). */
export function legacySseStub(env: Env, id: string) {
  return env.LEGACY_SSE_SESSION.getByName(`legacy-sse:${id}`);
}
