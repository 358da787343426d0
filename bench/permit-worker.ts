// The Worker of bench/permit.bench.ts. `GET /permit?mode=...` runs one permit
// (leaseUpstream, then done) for an in-memory server with two replicas and
// answers 204; `mode=baseline` answers 204 without it, so the difference
// between the two is what the permit path adds to a request.
//   cached      UPSTREAM_STATE_CACHE_MS=1000 (the default): state from the isolate cache
//   uncached    UPSTREAM_STATE_CACHE_MS=0: a ServerState round trip on every request
//   rate-limit  cached, plus an exact per-identity limit (a RateLimiter round trip)
import type { Principal } from "../worker/auth/principal.ts";
import { loadConfig } from "../worker/env.ts";
import { isLeaseRefusal, leaseUpstream } from "../worker/resilience/lease.ts";
import type { ResilienceDeps } from "../worker/resilience/settings.ts";
import type { ServerRecord } from "../worker/store/registry-store.ts";
import { DEFAULT_LOAD_BALANCING, UNKNOWN_HEALTH } from "../worker/store/registry-store.ts";

export { HealthHub } from "../durable-objects/health-hub.ts";
export { RateLimiter } from "../durable-objects/rate-limiter.ts";
export { ServerState } from "../durable-objects/server-state.ts";

const SETTINGS: Record<string, Record<string, string>> = {
  cached: { UPSTREAM_STATE_CACHE_MS: "1000" },
  uncached: { UPSTREAM_STATE_CACHE_MS: "0" },
  "rate-limit": { UPSTREAM_STATE_CACHE_MS: "1000", RATE_LIMIT_PER_IDENTITY: "100000000/24h" },
};

// One bindings object per mode: configuration is parsed once per bindings object.
const variants = new WeakMap<object, Map<string, Env>>();

function variant(env: Env, mode: string): Env {
  let byMode = variants.get(env);
  if (!byMode) {
    byMode = new Map();
    variants.set(env, byMode);
  }
  let bindings = byMode.get(mode);
  if (!bindings) {
    bindings = { ...env, ...SETTINGS[mode] } as Env;
    byMode.set(mode, bindings);
  }
  return bindings;
}

const timestamp = "2026-11-21T00:00:00.000Z";
const server: ServerRecord = {
  id: "bench-server",
  tenant: "bench",
  name: "Bench",
  path: "bench",
  description: "",
  tags: [],
  endpoints: [
    { url: "http://127.0.0.1:9/a/mcp", transport: "streamable-http", weight: 1 },
    { url: "http://127.0.0.1:9/b/mcp", transport: "streamable-http", weight: 1 },
  ],
  timeoutMs: 30_000,
  egress: null,
  license: null,
  version: null,
  metadata: {},
  enabled: true,
  visibility: "public",
  owner: "bench",
  source: "local",
  registryName: null,
  registryDetails: null,
  provenance: null,
  lifecycle: "active",
  catalog: {
    status: "ok",
    error: null,
    checkedAt: timestamp,
    serverInfo: null,
    protocolVersion: null,
    counts: { tools: 0, resources: 0, resourceTemplates: 0, prompts: 0 },
    warnings: [],
  },
  loadBalancing: DEFAULT_LOAD_BALANCING,
  circuitBreaker: null,
  healthCheck: null,
  rateLimit: null,
  health: UNKNOWN_HEALTH,
  createdAt: timestamp,
  updatedAt: timestamp,
};

const principal: Principal = {
  subject: "bench-user",
  issuer: "https://idp.bench",
  tenant: "bench",
  groups: [],
  scopes: [],
  kind: "machine",
};

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/permit") return new Response("ok");
    const mode = url.searchParams.get("mode") ?? "baseline";
    if (mode === "baseline") return new Response(null, { status: 204 });
    if (!SETTINGS[mode]) return new Response("unknown mode", { status: 400 });
    // `tools/list`: idempotent, so no TCP connect check (the replicas here are not real).
    const lease = await leaseUpstream(deps(variant(env, mode)), ctx, server, {
      principal,
      method: "tools/list",
    });
    if (isLeaseRefusal(lease)) return new Response(lease.message, { status: 503 });
    lease.done({ ok: true, reachedUpstream: true, latencyMs: 1 });
    return new Response(null, { status: 204 });
  },
} satisfies ExportedHandler<Env>;

/** The bench Worker is its own composition root. */
function deps(bindings: Env): ResilienceDeps {
  return { env: bindings, settings: loadConfig(bindings).resilience };
}
