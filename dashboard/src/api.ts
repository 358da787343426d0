// The typed client of the gateway's REST API (/api/v1): every call the
// dashboard makes goes through here. Errors arrive as RFC 9457 problem+json
// and become ApiError, whose field errors the forms show next to their fields.
// The token travels only in the Authorization header.

import type {
  Agent,
  AgentInput,
  AuthMethods,
  CatalogItem,
  Connection,
  FederationSource,
  FederationSourceInput,
  FieldError,
  MintedToken,
  MyRating,
  Problem,
  ScopesYaml,
  SearchResponse,
  Server,
  ServerInput,
  TokenRecord,
  UsageReport,
  UsageWindow,
  VirtualServer,
  VirtualServerInput,
  WhoAmI,
} from "./api-types.ts";

export type * from "./api-types.ts";

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.status = problem.status;
    this.problem = problem;
  }

  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

/** Network failures (gateway down, CORS refusal) as a problem, so callers handle one error type. */
function networkProblem(error: unknown): ApiError {
  return new ApiError({
    type: "about:blank",
    title: "The gateway could not be reached",
    status: 0,
    detail: error instanceof Error ? error.message : String(error),
  });
}

/**
 * A dashboard session (single sign-on) is held as the "token" `cookie:<CSRF token>`:
 * requests then carry the HttpOnly session cookie (same origin only) and, when
 * they change state, the CSRF token in `X-CSRF-Token`, never an Authorization header.
 */
export const COOKIE_SESSION_PREFIX = "cookie:";
const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export interface DashboardSessionInfo {
  signedIn: boolean;
  csrfToken?: string;
}

export interface RequestOptions {
  /** Send the session cookie although this client holds no session (the session probe). */
  cookies?: boolean;
  method?: string;
  json?: unknown;
  body?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class GatewayApi {
  /** `base` is the gateway origin ("" for the page's own origin). */
  constructor(
    readonly base: string,
    private readonly token: string | null,
    private readonly onUnauthorized: () => void = () => {},
  ) {}

  withToken(token: string | null, onUnauthorized: () => void = () => {}): GatewayApi {
    return new GatewayApi(this.base, token, onUnauthorized);
  }

  // --- Sign-in (no token needed) ---

  authMethods(): Promise<AuthMethods> {
    return this.request("/auth/methods");
  }

  /** Whether this browser has a single sign-on session cookie (never a 401). */
  sessionInfo(): Promise<DashboardSessionInfo> {
    return this.request("/auth/session", { cookies: true });
  }

  /** Ends the cookie session; the identity provider's logout URL when it has one. */
  logout(): Promise<{ endSessionUrl: string | null }> {
    return this.request("/auth/logout", { method: "POST" });
  }

  async devLogin(username: string, password: string): Promise<string> {
    const body = await this.request<{ access_token: string }>("/auth/dev-login", {
      method: "POST",
      json: { username, password },
    });
    return body.access_token;
  }

  whoami(): Promise<WhoAmI> {
    return this.request("/auth/whoami");
  }

  // --- Servers ---

  async listServers(): Promise<Server[]> {
    const servers: Server[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page: { items: Server[]; nextCursor: string | null } = await this.request(
        `/servers?limit=100${query}`,
      );
      servers.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return servers;
  }

  getServer(id: string): Promise<Server> {
    return this.request(`/servers/${encodeURIComponent(id)}`);
  }

  registerServer(input: ServerInput): Promise<Server> {
    return this.request("/servers", { method: "POST", json: input });
  }

  updateServer(id: string, patch: Partial<ServerInput>): Promise<Server> {
    return this.request(`/servers/${encodeURIComponent(id)}`, { method: "PATCH", json: patch });
  }

  deleteServer(id: string): Promise<void> {
    return this.request(`/servers/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  setEnabled(id: string, enabled: boolean): Promise<Server> {
    return this.request(`/servers/${encodeURIComponent(id)}/${enabled ? "enable" : "disable"}`, {
      method: "POST",
    });
  }

  refreshServer(id: string): Promise<Server> {
    return this.request(`/servers/${encodeURIComponent(id)}/refresh`, { method: "POST" });
  }

  async listTools(id: string): Promise<CatalogItem[]> {
    const body = await this.request<{ items: CatalogItem[] }>(`/servers/${encodeURIComponent(id)}/tools`);
    return body.items;
  }

  // --- Agents ---

  async listAgents(): Promise<Agent[]> {
    const agents: Agent[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page: { items: Agent[]; nextCursor: string | null } = await this.request(
        `/agents?limit=100${query}`,
      );
      agents.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return agents;
  }

  registerAgent(input: AgentInput): Promise<Agent> {
    return this.request("/agents", { method: "POST", json: input });
  }

  setAgentEnabled(id: string, enabled: boolean): Promise<Agent> {
    return this.request(`/agents/${encodeURIComponent(id)}/${enabled ? "enable" : "disable"}`, {
      method: "POST",
    });
  }

  deleteAgent(id: string): Promise<void> {
    return this.request(`/agents/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  // --- Ratings ---

  myRating(kind: "servers" | "agents", id: string): Promise<MyRating> {
    return this.request(`/${kind}/${encodeURIComponent(id)}/rating`);
  }

  rate(kind: "servers" | "agents", id: string, rating: number): Promise<MyRating> {
    return this.request(`/${kind}/${encodeURIComponent(id)}/rating`, { method: "POST", json: { rating } });
  }

  /** The server as a server.json document (remotes at this gateway). */
  exportServerJson(id: string): Promise<Record<string, unknown>> {
    return this.request(`/servers/${encodeURIComponent(id)}/server.json`);
  }

  // --- Federation ---

  async listSources(): Promise<FederationSource[]> {
    return (await this.request<{ items: FederationSource[] }>("/federation/sources")).items;
  }

  addSource(input: FederationSourceInput): Promise<FederationSource> {
    return this.request("/federation/sources", { method: "POST", json: input });
  }

  syncSource(id: string): Promise<FederationSource> {
    return this.request(`/federation/sources/${encodeURIComponent(id)}/sync`, { method: "POST" });
  }

  deleteSource(id: string): Promise<void> {
    return this.request(`/federation/sources/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  // --- Live health ---

  /** A one-time WebSocket URL (absolute, ws: or wss:) for the live-health stream. */
  async liveHealthUrl(): Promise<string> {
    const ticket = await this.request<{ url: string }>("/health/tickets", { method: "POST" });
    const absolute = new URL(ticket.url, this.base || window.location.origin);
    absolute.protocol = absolute.protocol === "https:" ? "wss:" : "ws:";
    return absolute.toString();
  }

  // --- Search ---

  search(query: string, signal?: AbortSignal): Promise<SearchResponse> {
    const options: RequestOptions = signal ? { signal } : {};
    return this.request(`/search?q=${encodeURIComponent(query)}&limit=20`, options);
  }

  // --- Access ---

  async exportScopes(): Promise<ScopesYaml> {
    const response = await this.send("/scopes", { headers: { accept: "application/yaml" } });
    return { yaml: await response.text(), etag: response.headers.get("etag") };
  }

  async replaceScopes(yaml: string, etag: string | null): Promise<{ revision: number }> {
    const headers: Record<string, string> = { "content-type": "application/yaml" };
    if (etag) headers["if-match"] = etag;
    return this.request("/scopes", { method: "PUT", body: yaml, headers });
  }

  // --- Tokens ---

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.request<{ items: TokenRecord[] }>("/tokens")).items;
  }

  mintToken(input: { name: string; scopes: string[]; expiresIn: number }): Promise<MintedToken> {
    return this.request("/tokens", { method: "POST", json: input });
  }

  revokeToken(id: string): Promise<void> {
    return this.request(`/tokens/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  // --- Connected accounts (per-user upstream credentials) ---

  async listConnections(): Promise<Connection[]> {
    return (await this.request<{ items: Connection[] }>("/connections")).items;
  }

  /** The provider's authorization URL; the response's cookie binds the flow to this browser. */
  async startConnection(serverId: string): Promise<string> {
    const body = await this.request<{ authorizationUrl: string }>(
      `/connections/${encodeURIComponent(serverId)}/connect`,
      // Keeps the response's browser-binding cookie (an "omit" fetch would drop it).
      { method: "POST", cookies: true },
    );
    return body.authorizationUrl;
  }

  disconnect(serverId: string): Promise<void> {
    return this.request(`/connections/${encodeURIComponent(serverId)}`, { method: "DELETE" });
  }

  // --- Usage (view_metrics) ---

  usage(window: UsageWindow, server?: string): Promise<UsageReport> {
    const query = new URLSearchParams({ window });
    if (server) query.set("server", server);
    return this.request(`/usage?${query}`);
  }

  // --- Virtual servers ---

  async listVirtualServers(): Promise<VirtualServer[]> {
    return (await this.request<{ items: VirtualServer[] }>("/virtual-servers")).items;
  }

  createVirtualServer(input: VirtualServerInput): Promise<VirtualServer> {
    return this.request("/virtual-servers", { method: "POST", json: input });
  }

  setVirtualServerEnabled(id: string, enabled: boolean): Promise<VirtualServer> {
    const action = enabled ? "enable" : "disable";
    return this.request(`/virtual-servers/${encodeURIComponent(id)}/${action}`, { method: "POST" });
  }

  deleteVirtualServer(id: string): Promise<void> {
    return this.request(`/virtual-servers/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  // --- Plumbing ---

  /** The gateway's public origin as the browser sees it (for client configuration snippets). */
  get gatewayOrigin(): string {
    return this.base || window.location.origin;
  }

  /** A download (the audit export) as a Blob; the gateway streams it. */
  async download(path: string): Promise<Blob> {
    return (await this.send(path, { headers: { accept: "*/*" } })).blob();
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  private async send(path: string, options: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    const method = options.method ?? "GET";
    const csrf = this.token?.startsWith(COOKIE_SESSION_PREFIX)
      ? this.token.slice(COOKIE_SESSION_PREFIX.length)
      : null;
    if (csrf !== null) {
      if (UNSAFE_METHODS.has(method)) headers["x-csrf-token"] = csrf;
    } else if (this.token) {
      headers.authorization = `Bearer ${this.token}`;
    }
    let body = options.body;
    if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    }
    let response: Response;
    try {
      response = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers,
        body: body ?? null,
        signal: options.signal ?? null,
        // Cookies only for a single sign-on session (same origin); otherwise the bearer header is the only credential.
        credentials: csrf !== null || options.cookies ? "same-origin" : "omit",
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") throw error;
      throw networkProblem(error);
    }
    if (response.ok) return response;
    const problem = await readProblem(response);
    if (response.status === 401 && this.token) this.onUnauthorized();
    throw new ApiError(problem);
  }
}

async function readProblem(response: Response): Promise<Problem> {
  const fallback: Problem = {
    type: "about:blank",
    title: response.statusText || "Request failed",
    status: response.status,
  };
  try {
    const body = (await response.json()) as Partial<Problem>;
    return { ...fallback, ...body, status: response.status };
  } catch {
    return fallback;
  }
}
