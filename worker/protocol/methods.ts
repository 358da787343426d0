// The method table: everything the gateway needs to know about an MCP method,
// in one place. Adding a method the gateway handles touches only this table.
// Pure; no imports.

export interface MethodFacts {
  /** Does no harm when sent twice, so a replica that may have received it can be retried. */
  idempotent: boolean;
  /** The param naming what the request acts on (policy, audit, the Mcp-Name header). */
  target?: "name" | "uri";
  /** The 2026-07-28 transport requires an `Mcp-Name` header matching the target. */
  nameHeader?: true;
  /** The aggregated endpoint's own server answers it (any other method is unknown there). */
  served?: true;
  /** The aggregated endpoint forwards it to one upstream server (worker/upstream/upstream-call.ts). */
  upstream?: true;
}

export const METHODS = {
  initialize: { idempotent: true, served: true },
  ping: { idempotent: true, served: true },
  "server/discover": { idempotent: true, served: true },
  "subscriptions/listen": { idempotent: false, served: true },
  "tools/list": { idempotent: true, served: true },
  "resources/list": { idempotent: true, served: true },
  "resources/templates/list": { idempotent: true, served: true },
  "prompts/list": { idempotent: true, served: true },
  "tools/call": { idempotent: false, target: "name", nameHeader: true, served: true, upstream: true },
  "resources/read": { idempotent: true, target: "uri", nameHeader: true, served: true, upstream: true },
  "prompts/get": { idempotent: true, target: "name", nameHeader: true, served: true, upstream: true },
  // Relay (aggregated/gateway-relay.ts): forwarded to the upstreams the caller may see.
  "logging/setLevel": { idempotent: true, served: true, upstream: true },
  "resources/subscribe": { idempotent: false, target: "uri", served: true, upstream: true },
  "resources/unsubscribe": { idempotent: false, target: "uri", served: true, upstream: true },
  "completion/complete": { idempotent: true, upstream: true },
} as const satisfies Record<string, MethodFacts>;

export type KnownMethod = keyof typeof METHODS;

/** Methods the aggregated endpoint sends to an upstream server. */
export type UpstreamMethod = {
  [M in KnownMethod]: (typeof METHODS)[M] extends { upstream: true } ? M : never;
}[KnownMethod];

const NO_FACTS: MethodFacts = { idempotent: false };

export function methodFacts(method: string): MethodFacts {
  return Object.hasOwn(METHODS, method) ? METHODS[method as KnownMethod] : NO_FACTS;
}

/** True when every method may be retried (notifications always may). */
export function isIdempotentMethod(method: string | string[] | undefined): boolean {
  if (method === undefined) return false;
  const methods = Array.isArray(method) ? method : [method];
  return methods.every((name) => methodFacts(name).idempotent || name.startsWith("notifications/"));
}
