// The one place that picks adapters from configuration and assembles services.
// Routes get services from here; nothing else constructs adapters.
import { loadConfig } from "./env.ts";
import { readCatalog } from "./mcp/catalog-reader.ts";
import { secretsFromEnv } from "./proxy/egress.ts";
import { ServerService } from "./registry/server-service.ts";
import { D1RegistryStore } from "./store/d1/d1-registry-store.ts";
import type { RegistryStore } from "./store/registry-store.ts";

export interface Services {
  store: RegistryStore;
  servers: ServerService;
}

const built = new WeakMap<object, Services>();

export function getServices(env: Env): Services {
  const cached = built.get(env);
  if (cached) return cached;
  const config = loadConfig(env);
  const store = new D1RegistryStore(env.DB);
  const services: Services = {
    store,
    servers: new ServerService({
      store,
      readCatalog,
      secrets: secretsFromEnv(env),
      allowPrivateUpstreams: config.allowPrivateUpstreams,
      discoveryTimeoutMs: config.discoveryTimeoutMs,
      defaultTimeoutMs: config.defaultUpstreamTimeoutMs,
    }),
  };
  built.set(env, services);
  return services;
}
