// Configuration: the Worker's bindings and string vars parsed once with zod,
// so a misconfigured deployment fails on its first request with a message
// that names the setting, instead of failing later somewhere deep.
import { z } from "zod";
import { AuthIssuersSetting } from "./auth/issuers.ts";
import type { AuthSettings } from "./auth/settings.ts";
import { PreviousSigningKeySetting, SigningKeySetting } from "./auth/signing-keys.ts";
import { ConfigError } from "./http/errors.ts";
import { checkOAuthValues, type OAuthSettings, OAuthSettingsShape, oauthSettings } from "./oauth/settings.ts";
import {
  type ObservabilitySettings,
  ObservabilitySettingsShape,
  observabilitySettings,
} from "./observability/settings.ts";
import { defaultNamespace, RegistryNamespaceSetting } from "./registry/registry-names.ts";
import { ConnectCheckSetting, RateLimitSetting, type ResilienceConfig } from "./resilience/settings.ts";
import {
  checkSearchValues,
  type SearchSettings,
  SearchSettingsShape,
  searchSettings,
} from "./search/search-settings.ts";
import { SecurityConfigShape, type SecuritySettings, securitySettings } from "./security/scan-settings.ts";

const flag = z
  .enum(["true", "false"])
  .transform((value) => value === "true")
  .default(false);

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** An empty string counts as unset (wrangler passes `KEY=` through as ""). */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

const publicUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).refine(
  (value) => {
    const url = new URL(value);
    return (url.pathname === "/" || url.pathname === "") && !url.search && !url.hash;
  },
  { error: "must be an origin without path, query or fragment (e.g. https://mcp.example.com)" },
);

const ConfigSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "production"]).default("production"),
    ALLOW_PRIVATE_UPSTREAMS: flag,
    // Upstream egress guard and Host allowlist (worker/upstream/guarded-fetch.ts, worker/http/host-allowlist.ts).
    EGRESS_DNS_RESOLVER: optional(
      z.url({ protocol: /^https?$/, error: "must be an http(s) DNS-over-HTTPS (JSON) URL" }),
    ),
    ALLOWED_HOSTS: optional(z.string()),
    MAX_BODY_BYTES: positiveInt(1024 * 1024),
    DISCOVERY_TIMEOUT_MS: positiveInt(10_000),
    DEFAULT_UPSTREAM_TIMEOUT_MS: positiveInt(30_000),
    // MCP transport security (worker/proxy/, worker/http/origin.ts).
    SESSION_SECRET: optional(z.string().min(32, "must be at least 32 characters")),
    ALLOWED_ORIGINS: optional(z.string()),
    // Aggregated endpoint /mcp (worker/mcp/, durable-objects/mcp-session.ts).
    MCP_SESSION_IDLE_SECONDS: positiveInt(30 * 60),
    // Resilience (worker/resilience/, durable-objects/): see README "Resilience".
    HEALTH_CHECK_INTERVAL_SECONDS: positiveInt(30),
    HEALTH_CHECK_TIMEOUT_MS: positiveInt(5_000),
    HEALTH_DEGRADED_LATENCY_MS: positiveInt(2_000),
    CATALOG_REFRESH_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(900),
    CIRCUIT_FAILURE_THRESHOLD: positiveInt(5),
    CIRCUIT_COOLDOWN_MS: positiveInt(30_000),
    CIRCUIT_HALF_OPEN_SUCCESSES: positiveInt(1),
    UPSTREAM_STATE_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(1_000),
    UPSTREAM_CONNECT_CHECK: ConnectCheckSetting,
    UPSTREAM_CONNECT_CHECK_TIMEOUT_MS: positiveInt(1_000),
    RATE_LIMIT_PER_IDENTITY: RateLimitSetting,
    RATE_LIMIT_PER_IDENTITY_SERVER: RateLimitSetting,
    RATE_LIMIT_PER_TENANT: RateLimitSetting,
    RATE_LIMIT_TENANT_SHARDS: z.coerce.number().int().min(1).max(64).default(1),
    // Identity (worker/auth/): see README "Authentication".
    PUBLIC_URL: optional(publicUrl),
    AUTH_ISSUERS: AuthIssuersSetting,
    AUTH_MAX_TOKEN_BYTES: positiveInt(8 * 1024),
    TOKEN_SIGNING_KEY: optional(SigningKeySetting),
    TOKEN_SIGNING_KEY_PREVIOUS: optional(PreviousSigningKeySetting),
    TOKEN_MAX_LIFETIME_SECONDS: positiveInt(90 * 24 * 3600),
    TOKEN_MINTS_PER_MINUTE: positiveInt(10),
    DEV_MODE: flag,
    // Security scanner (worker/security/): see README "Security".
    ...SecurityConfigShape,
    DEV_ADMIN_USERNAME: optional(z.string().regex(/^[\w.@-]{1,100}$/, "must be 1-100 of [A-Za-z0-9_.@-]")),
    DEV_ADMIN_PASSWORD: optional(z.string().min(16, "must be at least 16 characters")),
    // Discovery (worker/search/): see README "Search".
    ...SearchSettingsShape,
    // Metrics, traces, retention (worker/observability/): see README "Observability".
    ...ObservabilitySettingsShape,
    // MCP Registry API and federation (worker/registry-api/, worker/federation/): README "Registry API".
    REGISTRY_NAMESPACE: optional(RegistryNamespaceSetting),
    REGISTRY_API_PUBLIC: flag,
    FEDERATION_SYNC_TIMEOUT_MS: positiveInt(60_000),
    // The gateway as OAuth authorization server (worker/oauth/): see README "OAuth".
    ...OAuthSettingsShape,
  })
  .superRefine((values, ctx) => {
    checkSearchValues(values, ctx);
    checkOAuthValues(values, ctx);
    if (values.ENVIRONMENT !== "production") return;
    if (values.DEV_MODE) {
      ctx.addIssue({
        code: "custom",
        path: ["DEV_MODE"],
        message: "must be false when ENVIRONMENT is production",
      });
    }
    if (!values.PUBLIC_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["PUBLIC_URL"],
        message: "is required in production (the gateway's public origin, e.g. https://mcp.example.com)",
      });
    }
  });

export interface GatewayConfig {
  environment: "development" | "production";
  allowPrivateUpstreams: boolean;
  /** DNS-over-HTTPS (JSON) endpoint the egress guard resolves upstream names with. */
  egressDnsResolver: string;
  /** Host header values the gateway answers to (lower case, with port if any); null: any. */
  allowedHosts: string[] | null;
  maxBodyBytes: number;
  discoveryTimeoutMs: number;
  defaultUpstreamTimeoutMs: number;
  /** HMAC key binding MCP sessions to callers; null: MCP routes refuse to serve (fail closed). */
  sessionSecret: string | null;
  /** Browser origins allowed besides the gateway's own (exact match, no trailing slash). */
  allowedOrigins: string[];
  /** A session-based client's McpSession ends after this long without a request. */
  mcpSessionIdleMs: number;
  /** The gateway's public origin (no trailing slash); null: the request's origin. */
  publicUrl: string | null;
  auth: AuthSettings;
  /** Health checks, circuit breakers, replica choice, rate limits. */
  resilience: ResilienceConfig;
  /** Embedder, vector index and ranking settings. */
  search: SearchSettings;
  /** Metrics, tracing, retention of the scheduled upkeep. */
  observability: ObservabilitySettings;
  /** Scanner policy (default and per tenant). */
  security: SecuritySettings;
  /** The MCP Registry API (/v0.1) and federation. */
  registry: RegistrySettings;
  /** The gateway as OAuth authorization server: upstream IdP, token lifetimes. */
  oauth: OAuthSettings;
}

export interface RegistrySettings {
  /** Reverse-DNS namespace of servers without an explicit registryName (`{namespace}/{path}`). */
  namespace: string;
  /** true: /v0.1 and /v0 answer without a token (public servers only). */
  publicApi: boolean;
  /** Upper bound for reading one federation source (all pages). */
  syncTimeoutMs: number;
}

export type { AuthSettings };
export { ConfigError };

/** A comma-separated list, lower case; null when unset or empty. */
function listSetting(value: string | undefined): string[] | null {
  const items = (value ?? "")
    .split(",")
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== "");
  return items.length > 0 ? items : null;
}

// Bindings objects are stable per isolate, so parsing is done once per object.
const parsed = new WeakMap<object, GatewayConfig>();

export function loadConfig(env: Env): GatewayConfig {
  const cached = parsed.get(env);
  if (cached) return cached;
  const result = ConfigSchema.safeParse(env);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConfigError(`invalid gateway configuration: ${details.join("; ")}`);
  }
  const values = result.data;
  const config: GatewayConfig = {
    environment: values.ENVIRONMENT,
    allowPrivateUpstreams: values.ALLOW_PRIVATE_UPSTREAMS,
    egressDnsResolver: values.EGRESS_DNS_RESOLVER ?? "https://cloudflare-dns.com/dns-query",
    allowedHosts: listSetting(values.ALLOWED_HOSTS),
    maxBodyBytes: values.MAX_BODY_BYTES,
    discoveryTimeoutMs: values.DISCOVERY_TIMEOUT_MS,
    defaultUpstreamTimeoutMs: values.DEFAULT_UPSTREAM_TIMEOUT_MS,
    sessionSecret: values.SESSION_SECRET ?? null,
    allowedOrigins: (values.ALLOWED_ORIGINS ?? "")
      .split(",")
      .map((origin) => origin.trim().replace(/\/+$/, ""))
      .filter((origin) => origin !== ""),
    mcpSessionIdleMs: values.MCP_SESSION_IDLE_SECONDS * 1000,
    publicUrl: values.PUBLIC_URL ? new URL(values.PUBLIC_URL).origin : null,
    resilience: {
      healthCheck: {
        enabled: true,
        intervalSeconds: values.HEALTH_CHECK_INTERVAL_SECONDS,
        timeoutMs: values.HEALTH_CHECK_TIMEOUT_MS,
        degradedLatencyMs: values.HEALTH_DEGRADED_LATENCY_MS,
      },
      catalogRefreshSeconds: values.CATALOG_REFRESH_INTERVAL_SECONDS,
      circuit: {
        failureThreshold: values.CIRCUIT_FAILURE_THRESHOLD,
        cooldownMs: values.CIRCUIT_COOLDOWN_MS,
        halfOpenSuccesses: values.CIRCUIT_HALF_OPEN_SUCCESSES,
      },
      stateCacheMs: values.UPSTREAM_STATE_CACHE_MS,
      connectCheck: values.UPSTREAM_CONNECT_CHECK,
      connectCheckTimeoutMs: values.UPSTREAM_CONNECT_CHECK_TIMEOUT_MS,
      rateLimits: {
        identity: values.RATE_LIMIT_PER_IDENTITY,
        identityServer: values.RATE_LIMIT_PER_IDENTITY_SERVER,
        tenant: values.RATE_LIMIT_PER_TENANT,
        tenantShards: values.RATE_LIMIT_TENANT_SHARDS,
      },
    },
    search: searchSettings(values),
    observability: observabilitySettings(values),
    security: securitySettings(values),
    registry: {
      namespace: values.REGISTRY_NAMESPACE ?? defaultNamespace(values.PUBLIC_URL ?? null),
      publicApi: values.REGISTRY_API_PUBLIC,
      syncTimeoutMs: values.FEDERATION_SYNC_TIMEOUT_MS,
    },
    oauth: oauthSettings(values),
    auth: {
      issuers: values.AUTH_ISSUERS,
      maxTokenBytes: values.AUTH_MAX_TOKEN_BYTES,
      signingKey: values.TOKEN_SIGNING_KEY ?? null,
      previousSigningKey: values.TOKEN_SIGNING_KEY_PREVIOUS ?? null,
      tokenMaxLifetimeSeconds: values.TOKEN_MAX_LIFETIME_SECONDS,
      tokenMintsPerMinute: values.TOKEN_MINTS_PER_MINUTE,
      devLogin:
        values.DEV_MODE && values.DEV_ADMIN_USERNAME && values.DEV_ADMIN_PASSWORD
          ? { username: values.DEV_ADMIN_USERNAME, password: values.DEV_ADMIN_PASSWORD }
          : null,
    },
  };
  parsed.set(env, config);
  return config;
}
