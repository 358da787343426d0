// Shapes exchanged between isolates and the resilience Durable Objects
// (ServerState, HealthHub). Types (and one constructor), so both sides can import them.

import type { CatalogStatus, HealthStatus, HealthSummary } from "../store/registry-store.ts";
import type { CatalogChange } from "./catalog-diff.ts";
import type { Circuit, CircuitSettings } from "./circuit-breaker.ts";

/** Names a server for its ServerState object (which may not have seen it yet). */
export interface ServerRef {
  id: string;
  tenant: string;
  /** For live-health events (dashboards filter and label by them). */
  path: string;
  name: string;
}

export function serverRef(server: { id: string; tenant: string; path: string; name: string }): ServerRef {
  return { id: server.id, tenant: server.tenant, path: server.path, name: server.name };
}

/** What an isolate caches to choose a replica: circuits by replica URL, and the server's status. */
export interface StateSnapshot {
  circuits: Record<string, Circuit>;
  status: HealthStatus;
}

/** One request's outcome on one replica, as isolates report it. */
export interface OutcomeReport {
  url: string;
  ok: boolean;
  reachedUpstream: boolean;
  latencyMs: number;
  /** Epoch ms when the outcome was known. */
  at: number;
  /** Why it failed, safe to show. */
  reason?: string;
}

export interface ReportBatch {
  settings: CircuitSettings;
  outcomes: OutcomeReport[];
}

/** What one health check of one replica found. */
export interface ReplicaCheck {
  url: string;
  ok: boolean;
  latencyMs: number | null;
  error: string | null;
}

export interface HealthCheckRecord {
  at: string;
  status: HealthStatus;
  latencyMs: number | null;
  replicas: ReplicaCheck[];
  /** "schedule" (alarm) or "manual" (POST .../refresh). */
  trigger: "schedule" | "manual";
}

export interface CatalogChangeRecord {
  at: string;
  trigger: "schedule" | "manual";
  status: CatalogStatus;
  error: string | null;
  changes: CatalogChange[];
}

export interface CircuitView {
  url: string;
  phase: Circuit["phase"];
  failures: number;
  retryAt: string | null;
  changedAt: string;
  reason: string | null;
}

/** GET /api/v1/servers/{id}/health: everything the ServerState object knows. */
export interface ServerStateView {
  serverId: string;
  health: HealthSummary;
  circuits: CircuitView[];
  /** Newest first. */
  history: HealthCheckRecord[];
  /** Newest first; only reads that found changes, and failed reads. */
  catalogChanges: CatalogChangeRecord[];
  nextCheckAt: string | null;
}

/** Pushed to dashboards over the live-health WebSocket. */
export interface HealthEvent {
  type: "health";
  serverId: string;
  path: string;
  name: string;
  health: HealthSummary;
  previous: HealthStatus | null;
}

// --- RateLimiter (durable-objects/rate-limiter.ts) -------------------------

export interface CounterRequest {
  /** Names the counter within this object, e.g. `identity` or `identity-server:{serverId}`. */
  key: string;
  limit: number;
  windowMs: number;
}

export interface CounterState {
  key: string;
  limit: number;
  /** Units left in the sliding window after this request. */
  remaining: number;
  /** Epoch ms when the oldest counted grant stops counting (the next unit comes back). */
  resetAt: number;
  /** The slot this request was counted in (what a refund gives back). */
  windowStart: number;
}

export type TakeResult =
  | { allowed: true; counters: CounterState[] }
  | { allowed: false; counters: CounterState[]; retryAfterMs: number; exhausted: string[] };
