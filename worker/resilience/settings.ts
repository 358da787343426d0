// Resilience configuration: the gateway-wide defaults (parsed in env.ts from
// the settings below) and the effective settings of one server (its record's
// overrides on top of the defaults). README "Resilience" lists every setting.
import { z } from "zod";
import type { ServerRecord } from "../store/registry-store.ts";
import type { CircuitSettings } from "./circuit-breaker.ts";

export interface RateLimitRule {
  requests: number;
  windowSeconds: number;
}

export interface HealthCheckSettings {
  enabled: boolean;
  intervalSeconds: number;
  timeoutMs: number;
  /** A check slower than this makes the server `degraded`. */
  degradedLatencyMs: number;
}

/**
 * When the lease first opens a bare TCP connection to the chosen replica, so
 * that a refused connection proves the request never left (and may go to
 * another replica). `non-idempotent`: only for requests that must not be sent
 * twice (tools/call), and only when another replica could take over.
 */
export type ConnectCheckMode = "non-idempotent" | "always" | "never";

export interface ResilienceConfig {
  healthCheck: HealthCheckSettings;
  /** How often the ServerState object re-reads the catalog (0: only on manual refresh). */
  catalogRefreshSeconds: number;
  circuit: CircuitSettings;
  /** How long an isolate trusts its copy of a server's circuit and health state. */
  stateCacheMs: number;
  connectCheck: ConnectCheckMode;
  connectCheckTimeoutMs: number;
  rateLimits: {
    identity: RateLimitRule | null;
    identityServer: RateLimitRule | null;
    tenant: RateLimitRule | null;
    /** The tenant budget is split over this many objects (see docs/architecture.md). */
    tenantShards: number;
  };
}

/**
 * `off`, or `<requests>/<seconds>s` (also `/<n>m`, `/<n>h`), e.g. `600/60s`,
 * `10000/1h`. An empty value counts as off.
 */
export const RateLimitSetting = z
  .string()
  .trim()
  .optional()
  .transform((value, ctx): RateLimitRule | null => {
    if (value === undefined || value === "" || value === "off") return null;
    const match = /^(\d{1,9})\s*\/\s*(\d{1,6})\s*([smh])$/.exec(value);
    const requests = Number(match?.[1]);
    const amount = Number(match?.[2]);
    if (!match || requests < 1 || amount < 1) {
      ctx.addIssue({
        code: "custom",
        message: 'use "off" or <requests>/<window> such as 600/60s, 100/1m, 5000/1h',
      });
      return z.NEVER;
    }
    const unit = match[3] === "h" ? 3600 : match[3] === "m" ? 60 : 1;
    const windowSeconds = amount * unit;
    if (windowSeconds > 86_400) {
      ctx.addIssue({ code: "custom", message: "the window must be at most 24h" });
      return z.NEVER;
    }
    return { requests, windowSeconds };
  });

export const ConnectCheckSetting = z.enum(["non-idempotent", "always", "never"]).default("non-idempotent");

export function effectiveCircuit(server: ServerRecord, config: ResilienceConfig): CircuitSettings {
  return { ...config.circuit, ...definedOnly(server.circuitBreaker ?? {}) };
}

export function effectiveHealthCheck(server: ServerRecord, config: ResilienceConfig): HealthCheckSettings {
  return { ...config.healthCheck, ...definedOnly(server.healthCheck ?? {}) };
}

/** The identity+server limit: the server's own, else the gateway's default. */
export function effectiveServerRateLimit(
  server: ServerRecord,
  config: ResilienceConfig,
): RateLimitRule | null {
  return server.rateLimit ?? config.rateLimits.identityServer;
}

/** True when some rate limit applies to requests to `server` (then the lease charges it). */
export function anyRateLimit(server: ServerRecord, config: ResilienceConfig): boolean {
  const limits = config.rateLimits;
  return (
    limits.identity !== null || limits.tenant !== null || effectiveServerRateLimit(server, config) !== null
  );
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

/** What the resilience layer runs on: the bindings (its Durable Objects) and its settings, passed in. */
export interface ResilienceDeps {
  env: Env;
  settings: ResilienceConfig;
}
