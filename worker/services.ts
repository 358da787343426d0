// The one place that picks adapters from configuration and assembles services.
// Routes get services from here; nothing else constructs adapters.

import type { MiddlewareHandler } from "hono";
import defaultScopesYaml from "../config/scopes.yml";
import type { Authenticator } from "./auth/authenticator.ts";
import { identityServices } from "./auth/identity.ts";
import type { TokenService } from "./auth/token-service.ts";
import { type GatewayConfig, loadConfig } from "./env.ts";
import { FederationService } from "./federation/federation-service.ts";
import { ConnectionService } from "./oauth/connection-service.ts";
import { CredentialCipher } from "./oauth/credential-cipher.ts";
import { oauthTokenValidator } from "./oauth/token-validator.ts";
import { Auditor } from "./observability/audit.ts";
import { MetricsRecorder } from "./observability/metrics.ts";
import { TraceExporter } from "./observability/otlp-export.ts";
import { AccessService } from "./registry/access-service.ts";
import { AgentService } from "./registry/agent-service.ts";
import { RatingService } from "./registry/rating-service.ts";
import { RouteEpoch } from "./registry/route-epoch.ts";
import { ServerDirectory } from "./registry/server-directory.ts";
import { ServerService } from "./registry/server-service.ts";
import { serverStateObserver, serverStatePort } from "./registry/server-state-port.ts";
import { tenantCatalogsOf } from "./registry/tenant-catalogs.ts";
import { RegistryApiService } from "./registry-api/registry-api-service.ts";
import { SearchIndexer } from "./search/search-indexer.ts";
import { SearchService } from "./search/search-service.ts";
import { searchAdapters } from "./search-adapters.ts";
import { ApprovalService } from "./security/approval-service.ts";
import { CatalogScanner } from "./security/catalog-scanner.ts";
import { FindingService } from "./security/finding-service.ts";
import { RuleAnalyzer } from "./security/rule-analyzer.ts";
import { policyFor } from "./security/scan-settings.ts";
import type { AuditLog } from "./store/audit-log.ts";
import { D1AgentStore } from "./store/d1/d1-agent-store.ts";
import { D1ApprovalStore } from "./store/d1/d1-approval-store.ts";
import { D1AuditLog } from "./store/d1/d1-audit-log.ts";
import { D1FederationStore } from "./store/d1/d1-federation-store.ts";
import { D1FindingStore } from "./store/d1/d1-finding-store.ts";
import { D1MetricsStore } from "./store/d1/d1-metrics-store.ts";
import { D1RatingStore } from "./store/d1/d1-rating-store.ts";
import { D1RegistryStore } from "./store/d1/d1-registry-store.ts";
import { D1ScopesStore } from "./store/d1/d1-scopes-store.ts";
import { D1TokenStore } from "./store/d1/d1-token-store.ts";
import { D1UserCredentialStore } from "./store/d1/d1-user-credential-store.ts";
import { D1VirtualServerStore } from "./store/d1/d1-virtual-server-store.ts";
import type { FindingStore } from "./store/finding-store.ts";
import type { RegistryStore } from "./store/registry-store.ts";
import { readCatalog } from "./upstream/catalog-reader.ts";
import { secretsFromEnv } from "./upstream/egress.ts";
import { egressGuardFor } from "./upstream/egress-guard-factory.ts";
import type { EgressGuard } from "./upstream/guarded-fetch.ts";
import { UpstreamSessionPool } from "./upstream/upstream-pool.ts";
import { VirtualServerService } from "./virtual/virtual-server-service.ts";

export interface Services {
  store: RegistryStore;
  /** Servers by path for the MCP hot path (short-lived isolate cache). */
  directory: ServerDirectory;
  /** Moves on every local write a cached MCP route depends on (registry/route-epoch.ts). */
  routeEpoch: RouteEpoch;
  servers: ServerService;
  /** Scopes configuration and the one decision function, per tenant. */
  access: AccessService;
  auditor: Auditor;
  /** The audit table, for reading (GET /api/v1/audit and its export). */
  auditLog: AuditLog;
  /** Prometheus series and usage rollups, batched after responses (MCP ones derived from audit events). */
  metrics: MetricsRecorder;
  /** Batched OTLP export of sampled requests' spans. */
  tracer: TraceExporter;
  /** Vended tokens: mint, list, revoke, development login. */
  tokens: TokenService;
  /** Bearer token -> Principal. */
  authenticator: Authenticator;
  /** Hybrid search over tools and servers (keyword only unless an embedder is configured). */
  search: SearchService;
  /** Keeps the search index in step with the registry (a registry observer); reindex. */
  searchIndexer: SearchIndexer;
  /** A2A agents (issue 12). */
  agents: AgentService;
  /** Star ratings of servers and agents. */
  ratings: RatingService;
  /** Security scan of catalogs (rule-based analyzer; findings in D1). */
  scanner: CatalogScanner;
  findings: FindingStore;
  /** Findings with the caller's permissions (REST). */
  findingService: FindingService;
  /** Tool pinning: approvals, and the approved tools the MCP edge serves. */
  approvals: ApprovalService;
  /** The MCP Registry API (/v0.1) and server.json export. */
  registryApi: RegistryApiService;
  /** Federation sources and their synchronisation (manual and on the Cron Trigger). */
  federation: FederationService;
  /** Curated MCP endpoints at /v/{name}/mcp. */
  virtualServers: VirtualServerService;
  /** Upstream sessions reused across stateless calls in this isolate (upstream/upstream-pool.ts). */
  upstreamPool: UpstreamSessionPool;
  /** The guarded fetch every upstream connection uses, and the address check registration uses. */
  egress: EgressGuard;
  /** Per-user upstream credentials (servers with `oauth` egress): connect, refresh, revoke. */
  connections: ConnectionService;
}

declare module "hono" {
  interface ContextVariableMap {
    /** Set once per request by `provideServices` (the composition root); read, never looked up. */
    services: Services;
    config: GatewayConfig;
  }
}

/** The services and the configuration they were built from, per bindings object (stable per isolate). */
interface Composition {
  services: Services;
  config: GatewayConfig;
}

const built = new WeakMap<object, Composition>();

export function getServices(env: Env): Services {
  return compose(env).services;
}

/** One WeakMap lookup per request for both (env.ts is not re-entered once the isolate has composed). */
function compose(env: Env): Composition {
  const cached = built.get(env);
  if (cached) return cached;
  const config = loadConfig(env);
  const egress = egressGuardFor(config);
  const store = new D1RegistryStore(env.DB);
  const routeEpoch = new RouteEpoch();
  const access = new AccessService({
    store: new D1ScopesStore(env.DB),
    defaultDocumentYaml: defaultScopesYaml,
    changes: routeEpoch,
  });
  const searchBackends = searchAdapters(env, config.search);
  const searchIndexer = new SearchIndexer({ store, ...searchBackends, settings: config.search.ranking });
  const directory = new ServerDirectory(store);
  const metrics = new MetricsRecorder(new D1MetricsStore(env.DB), {
    enabled: config.observability.metricsEnabled,
    // Bound in [env.production] only (wrangler types sees top-level bindings).
    analytics: (env as { ANALYTICS?: AnalyticsEngineDataset }).ANALYTICS ?? null,
  });
  const agentStore = new D1AgentStore(env.DB);
  const virtualServerStore = new D1VirtualServerStore(env.DB);
  // Ratings read the entity through its service (visibility and scopes), set below.
  const ratings = new RatingService({
    store: new D1RatingStore(env.DB),
    access,
    readable: (principal, kind, id) =>
      kind === "server"
        ? services.servers.visibleReadable(principal, id)
        : services.agents.get(principal, id),
  });
  const findings = new D1FindingStore(env.DB);
  const auditLog = new D1AuditLog(env.DB);
  const scanner = new CatalogScanner({
    analyzer: new RuleAnalyzer(),
    store: findings,
    policyFor: (tenant) => policyFor(config.security, tenant),
  });
  const approvals = new ApprovalService({
    approvals: new D1ApprovalStore(env.DB),
    store,
    access,
    settings: config.security,
    changes: routeEpoch,
  });
  const servers = new ServerService({
    approvals,
    store,
    access,
    // serverStateObserver: health checks start on registration, state goes with the server.
    observers: [
      searchIndexer,
      serverStateObserver(env, config.resilience),
      directory,
      routeEpoch,
      // The aggregated listings' per-tenant catalogs (registry/tenant-catalogs.ts).
      tenantCatalogsOf(store),
      ratingCleanup(ratings, "server"),
      // A deleted server's per-user credentials go with it.
      {
        serverSaved: async () => {},
        serverDeleted: (tenant, id) => services.connections.serverDeleted(tenant, id),
      },
    ],
    state: serverStatePort(env),
    // Catalog reads connect through the egress guard (checked at every read, not only at registration).
    readCatalog: (target, options) => readCatalog(target, { ...options, fetch: egress.fetch }),
    scanner,
    secrets: secretsFromEnv(env),
    checkUpstreamUrl: (url) => egress.check(url),
    discoveryTimeoutMs: config.discoveryTimeoutMs,
    defaultTimeoutMs: config.defaultUpstreamTimeoutMs,
    agentHoldsPath: async (path) => (await agentStore.getAgentByPath(path)) !== null,
    virtualServerHoldsPath: async (path) => (await virtualServerStore.getVirtualServerByName(path)) !== null,
    ratings,
    registryNamespace: config.registry.namespace,
  });
  const services: Services = {
    approvals,
    findingService: new FindingService({ findings, servers, store, access }),
    scanner,
    findings,
    store,
    directory,
    routeEpoch,
    search: new SearchService({ ...searchBackends, settings: config.search.ranking }),
    searchIndexer,
    access,
    metrics,
    tracer: new TraceExporter(config.observability.tracing),
    auditor: new Auditor(auditLog, {
      metrics,
      logLines: config.observability.auditLogLines,
    }),
    auditLog,
    virtualServers: new VirtualServerService({
      store: virtualServerStore,
      registry: store,
      access,
    }),
    ...identityServices(config, new D1TokenStore(env.DB), oauthTokenValidator(env, config)),
    servers,
    agents: new AgentService({
      store: agentStore,
      access,
      serverHoldsPath: async (path) => (await store.getServerByPath(path)) !== null,
      ratings,
      observers: [ratingCleanup(ratings, "agent")],
    }),
    registryApi: new RegistryApiService({ store, access, servers, namespace: config.registry.namespace }),
    federation: new FederationService({
      sources: new D1FederationStore(env.DB),
      store,
      servers,
      access,
      secrets: secretsFromEnv(env),
      namespace: config.registry.namespace,
      checkUpstreamUrl: (url) => egress.check(url),
      fetch: egress.fetch,
      defaultTimeoutMs: config.defaultUpstreamTimeoutMs,
      syncTimeoutMs: config.registry.syncTimeoutMs,
    }),
    ratings,
    upstreamPool: new UpstreamSessionPool(),
    egress,
    connections: new ConnectionService({
      store: new D1UserCredentialStore(env.DB),
      registry: store,
      access,
      cipher: new CredentialCipher(secretsFromEnv(env)("CREDENTIAL_ENCRYPTION_KEY")),
      secrets: secretsFromEnv(env),
      readCatalogWith: (server, token) => servers.refreshCatalogFor(server.tenant, server.id, token),
      // The provider's token endpoint is an upstream like any other: through the egress guard.
      fetch: egress.fetch,
    }),
  };
  const composition = { services, config };
  built.set(env, composition);
  return composition;
}

/**
 * The composition root's middleware: every later middleware and route finds
 * the services and the configuration on the context (`c.var.services`,
 * `c.var.config`). A bad setting fails here, with the setting's name.
 */
export function provideServices(): MiddlewareHandler<{ Bindings: Env }> {
  return function provideServicesMiddleware(c, next) {
    const { services, config } = compose(c.env);
    c.set("config", config);
    c.set("services", services);
    return next();
  };
}

/** For Durable Objects, whose constructors are their own composition roots. */
export function servicesFor(env: Env): { services: Services; config: GatewayConfig } {
  return compose(env);
}

/** Ratings of a deleted entity go with it. */
function ratingCleanup(ratings: RatingService, kind: "server" | "agent") {
  return {
    async agentSaved() {},
    async agentDeleted(tenant: string, id: string) {
      await ratings.forget({ tenant, kind, id });
    },
    async serverSaved() {},
    async serverDeleted(tenant: string, id: string) {
      await ratings.forget({ tenant, kind, id });
    },
  };
}
