// Configuration: the Worker's bindings and string vars parsed once with zod,
// so a misconfigured deployment fails on its first request with a message
// that names the setting, instead of failing later somewhere deep.
import { z } from "zod";

const flag = z
  .enum(["true", "false"])
  .transform((value) => value === "true")
  .default(false);

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["development", "production"]).default("production"),
  ADMIN_TOKEN: z
    .string({ error: "ADMIN_TOKEN secret is not set (npm start writes one to .dev.vars)" })
    .min(32, "ADMIN_TOKEN must be at least 32 characters"),
  ALLOW_PRIVATE_UPSTREAMS: flag,
  MAX_BODY_BYTES: positiveInt(1024 * 1024),
  DISCOVERY_TIMEOUT_MS: positiveInt(10_000),
  DEFAULT_UPSTREAM_TIMEOUT_MS: positiveInt(30_000),
});

export interface GatewayConfig {
  environment: "development" | "production";
  adminToken: string;
  allowPrivateUpstreams: boolean;
  maxBodyBytes: number;
  discoveryTimeoutMs: number;
  defaultUpstreamTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
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
    adminToken: values.ADMIN_TOKEN,
    allowPrivateUpstreams: values.ALLOW_PRIVATE_UPSTREAMS,
    maxBodyBytes: values.MAX_BODY_BYTES,
    discoveryTimeoutMs: values.DISCOVERY_TIMEOUT_MS,
    defaultUpstreamTimeoutMs: values.DEFAULT_UPSTREAM_TIMEOUT_MS,
  };
  parsed.set(env, config);
  return config;
}
