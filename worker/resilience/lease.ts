// The permit path: the ONLY way MCP proxies pick a replica. `leaseUpstream`
// charges rate limits, consults the circuit state of the server's replicas,
// chooses one by the server's strategy and hands out a lease whose `done`
// reports the outcome. `withFailover` wraps an attempt so that a request that
// provably never reached a replica goes to another one.
//
// Hot path: circuit and health state come from an isolate cache (at most
// UPSTREAM_STATE_CACHE_MS old, one shared load when stale); outcomes go to the
// ServerState object through `waitUntil`, and only failures and recoveries are
// reported at all. A request pays a Durable Object round trip only for a
// configured rate limit (exact counting needs it) or a stale cache.
// Trade-offs: docs/architecture.md "Resilience".
// This module is the permit path's one entry: the lease (lease-upstream.ts),
// its contract (lease-contract.ts: types, refusals and their JSON-RPC answer),
// failover (failover.ts) and the isolate's replica state (replica-state.ts)
// each have a module of their own.

export * from "./failover.ts";
export * from "./lease-contract.ts";
export { leaseUpstream } from "./lease-upstream.ts";
export { resetResilienceCache } from "./replica-state.ts";
