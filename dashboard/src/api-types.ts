// Shapes of the gateway's REST API (/api/v1) as the dashboard uses them. Types
// only (no DOM, no I/O), so pure modules and their tests can import them;
// api.ts is the client that speaks them.

export type HealthStatus = "healthy" | "degraded" | "unhealthy" | "unknown";

export interface HealthSummary {
  status: HealthStatus;
  latencyMs: number | null;
  checkedAt: string | null;
  changedAt: string | null;
  error: string | null;
  replicas: {
    url: string;
    status: "up" | "down" | "unknown";
    latencyMs: number | null;
    error: string | null;
    circuit: "closed" | "open" | "half-open";
  }[];
}

export interface Endpoint {
  url: string;
  transport: "streamable-http" | "sse";
  weight?: number;
}

export interface Server {
  id: string;
  name: string;
  path: string;
  description: string;
  tags: string[];
  endpoints: Endpoint[];
  timeoutMs: number;
  enabled: boolean;
  catalog: {
    status: "pending" | "ok" | "unreachable";
    error: string | null;
    checkedAt: string | null;
    serverInfo: { name: string; version: string; title?: string } | null;
    counts: { tools: number; resources: number; resourceTemplates: number; prompts: number };
    warnings: string[];
  };
  health: HealthSummary;
  tools: { name: string; title: string | null; description: string | null }[];
  visibility?: Visibility;
  rating: RatingSummary;
  lifecycle: "active" | "deprecated" | "deleted";
  /** Name in the MCP Registry API; null: the gateway's namespace plus the path. */
  registryName: string | null;
  /** Set for servers imported from a federation source (read-only except local settings). */
  provenance: Provenance | null;
  createdAt: string;
  updatedAt: string;
}

export type Visibility = "public" | "private" | "group";
export type TrustLevel = "unverified" | "community" | "verified";

/** Star ratings of a server or agent (at most 100 kept). */
export interface RatingSummary {
  mean: number | null;
  count: number;
}

export interface MyRating extends RatingSummary {
  mine: number | null;
}

export interface AgentSkill {
  id: string;
  name: string;
  description: string;
  tags: string[];
}

/** An A2A agent as the registry shows it. */
export interface Agent {
  id: string;
  path: string;
  card: { name: string; description: string; url: string; version: string; skills: AgentSkill[] } & Record<
    string,
    unknown
  >;
  tags: string[];
  visibility: Visibility;
  groups: string[];
  trustLevel: TrustLevel;
  enabled: boolean;
  owner: string;
  rating: RatingSummary;
  createdAt: string;
  updatedAt: string;
}

export interface AgentInput {
  path: string;
  card: unknown;
  visibility: Visibility;
  tags?: string[];
}

export interface Provenance {
  sourceId: string;
  sourceName: string;
  sourceUrl: string;
  upstreamName: string;
  upstreamVersion: string;
  origin: string;
  lastSyncedAt: string;
}

export type SyncOutcome = "imported" | "updated" | "unchanged" | "deleted" | "skipped";

export interface SyncReport {
  startedAt: string;
  finishedAt: string;
  status: "ok" | "partial" | "failed";
  error: string | null;
  trigger: "manual" | "scheduled";
  counts: Record<SyncOutcome, number> & { seen: number };
  entries: {
    name: string;
    version: string | null;
    outcome: SyncOutcome;
    reason: string | null;
    serverId: string | null;
  }[];
}

export interface FederationSource {
  id: string;
  name: string;
  url: string;
  mode: "all" | "selected";
  servers: string[];
  syncIntervalMinutes: number | null;
  auth: { secret: string } | null;
  lastSyncAt: string | null;
  lastSync: SyncReport | null;
}

export interface FederationSourceInput {
  name: string;
  url: string;
  syncIntervalMinutes: number | null;
  auth: { secret: string } | null;
}

/** What the register and edit forms send (a subset of the API's fields). */
export interface ServerInput {
  name: string;
  path: string;
  description: string;
  tags: string[];
  endpoints: Endpoint[];
  timeoutMs?: number;
}

export interface CatalogItem {
  kind: "tool" | "resource" | "resource_template" | "prompt";
  key: string;
  fingerprint: string;
  definition: {
    name?: string;
    title?: string;
    description?: string;
    inputSchema?: unknown;
    [field: string]: unknown;
  };
}

export interface SearchHit {
  kind: "tool" | "server";
  id: string;
  name: string;
  title: string | null;
  description: string;
  serverId: string;
  serverPath: string;
  serverName: string;
  tags: string[];
  inputSchema: Record<string, unknown> | null;
  score: number;
  matchedFields: string[];
  matchedBy: ("keyword" | "vector")[];
}

export interface SearchResponse {
  mode: "keyword" | "hybrid";
  query: string;
  terms: string[];
  results: SearchHit[];
  notice?: string;
  tookMs: number;
}

export type Grant = { all: boolean; names: string[] };

export interface WhoAmI {
  subject: string;
  issuer: string;
  tenant: string;
  groups: string[];
  scopes: string[];
  kind: "user" | "machine";
  name?: string;
  credential?: "idp" | "personal-token" | "dev-login" | "oauth" | "session";
  effectiveScopes: string[];
  /** Registry actions and where the caller holds them. */
  permissions: Record<string, Grant>;
}

export interface AuthMethods {
  devLogin: boolean;
  identityProviders: { issuer: string; displayName: string }[];
  /** Dashboard sign-in at the identity provider, when configured. */
  singleSignOn: { displayName: string; loginUrl: string } | null;
}

export interface TokenRecord {
  id: string;
  name: string;
  scopes: string[];
  groups: string[];
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  active: boolean;
}

export interface MintedToken extends TokenRecord {
  token: string;
}

export interface ScopesYaml {
  yaml: string;
  /** The ETag, for If-Match on the next PUT. */
  etag: string | null;
}

export interface FieldError {
  /** Dotted path, e.g. `endpoints.0.url`; "" for the whole body. */
  field: string;
  message: string;
  line?: number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  reason?: string;
  requestId?: string;
  errors?: FieldError[];
}

// --- Usage (GET /api/v1/usage) ---

export type UsageWindow = "1h" | "24h" | "7d";

export interface UsageStats {
  calls: number;
  errors: number;
  denied: number;
  rateLimited: number;
  errorRate: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface UsageReport {
  window: UsageWindow;
  from: string;
  to: string;
  stepSeconds: number;
  totals: UsageStats;
  series: (UsageStats & { at: string })[];
  servers: (UsageStats & { server: string; series: number[] })[];
  tools: (UsageStats & { server: string; tool: string; series: number[] })[];
  callers: (UsageStats & { caller: string })[];
}

// --- Virtual servers (/api/v1/virtual-servers) ---

export interface VirtualToolRef {
  server: string;
  tool: string;
  name?: string;
  description?: string;
}

export interface VirtualServer {
  id: string;
  name: string;
  description: string;
  mode: "tools" | "discovery";
  tools: VirtualToolRef[];
  resources: { server: string; uri: string }[];
  prompts: { server: string; prompt: string; name?: string }[];
  enabled: boolean;
  owner: string;
  createdAt: string;
  updatedAt: string;
  endpoint: string;
}

export interface VirtualServerInput {
  name: string;
  description: string;
  mode: "tools" | "discovery";
  tools: VirtualToolRef[];
}

/** A server with per-user (oauth) credentials and the caller's connection to it (GET /connections). */
export interface Connection {
  serverId: string;
  serverName: string;
  serverPath: string;
  provider: string;
  status: "connected" | "reconnect_required" | "not_connected";
  scopes: string[];
  expiresAt: string | null;
  connectedAt: string | null;
  updatedAt: string | null;
}
