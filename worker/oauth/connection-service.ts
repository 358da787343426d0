// Per-user upstream credentials (3-legged OAuth). A server whose egress is
// `oauth` acts on each caller's own account at its provider: the caller
// connects once (authorization-code flow with PKCE S256, a sealed state bound
// to the user, tenant, server and browser), the token set is stored sealed
// (credential-cipher.ts), refreshed before expiry, and handed out only for
// that caller's own upstream requests (`accessToken`, the CallerCredentials
// of worker/upstream/egress.ts). Users disconnect their own connections;
// admins (`manage_scopes`) list and revoke anyone's.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import { waitWhile } from "../platform/wait-while.ts";
import type { AccessService } from "../registry/access-service.ts";
import { canSee } from "../registry/visibility.ts";
import type { OAuthEgressProvider, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import type {
  CredentialOwner,
  UserCredentialRecord,
  UserCredentialStore,
} from "../store/user-credential-store.ts";
import { ConnectionRequiredError } from "../upstream/egress.ts";
import { CipherUnavailableError, type CredentialCipher } from "./credential-cipher.ts";
import {
  exchangeCode,
  type ProviderClient,
  ProviderTokenError,
  refreshTokens,
  type TokenSet,
} from "./provider-tokens.ts";
import { randomToken, s256 } from "./upstream-oidc.ts";

/** Where the provider sends the browser back (served by worker/routes/connections.ts). */
export const UPSTREAM_CALLBACK_PATH = "/oauth/upstream/callback";
/** The dashboard page where a user connects (the URL in "connect your account" errors). */
export const CONNECTIONS_PAGE = "/connections";
/** Binds a connect flow to the browser that started it (path-scoped to the callback). */
export const CONNECT_COOKIE = "mcpgw_connect";

/** A connect flow must finish within this; the state and its cookie expire with it. */
export const CONNECT_TTL_SECONDS = 600;
/** Tokens this close to expiry are refreshed before use. */
const REFRESH_MARGIN_MS = 30_000;
const STATE_SCOPE = "connect-state";
const SERVER_PAGE = 100;
const MAX_SERVERS = 1_000;

export type ConnectionState = "connected" | "reconnect_required" | "not_connected";

/** One per-user server as its caller sees it (never a token). */
export interface ConnectionView {
  serverId: string;
  serverName: string;
  serverPath: string;
  /** The provider's host, so people know whose account they connect. */
  provider: string;
  status: ConnectionState;
  scopes: string[];
  expiresAt: string | null;
  connectedAt: string | null;
  updatedAt: string | null;
}

/** A user's connection as an admin sees it (never a token). */
export interface UserConnectionView {
  serverId: string;
  serverPath: string | null;
  subject: string;
  issuer: string;
  userName: string | null;
  status: "connected" | "reconnect_required";
  scopes: string[];
  expiresAt: string | null;
  connectedAt: string;
  updatedAt: string;
}

export interface ConnectStart {
  authorizationUrl: string;
  /** The value of the CONNECT_COOKIE the browser must carry back to the callback. */
  browserBinding: string;
}

/** What the sealed `state` parameter carries through the provider. */
interface ConnectState {
  tenant: string;
  issuer: string;
  subject: string;
  name: string | null;
  serverId: string;
  verifier: string;
  binding: string;
  redirectUri: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface ConnectionServiceOptions {
  store: UserCredentialStore;
  registry: Pick<RegistryStore, "getServer" | "listServers">;
  access: Pick<AccessService, "viewer" | "requireManager">;
  cipher: CredentialCipher;
  /** Reads the Worker secret a provider's `clientSecret` names. */
  secrets: (name: string) => string | undefined;
  /** Re-reads a server's catalog with a just-connected user's token (the catalog is shared; the token is not). */
  readCatalogWith?: (server: ServerRecord, accessToken: string) => Promise<unknown>;
  fetch?: typeof fetch;
  now?: () => number;
}

const REFRESH_WAIT_MS = 10_000;
const MAX_REFRESHED = 1_024;

export class ConnectionService {
  readonly #options: ConnectionServiceOptions;
  readonly #now: () => number;
  /**
   * One refresh per credential at a time in this isolate (providers that rotate refresh tokens
   * allow one use). Others wait on their own timers and take the finished result, never the
   * refresh's promise: under workerd, a request awaiting a fetch another request started would
   * resume in that request's I/O context.
   */
  readonly #refreshing = new Set<string>();
  readonly #refreshed = new Map<string, TokenSet>();

  constructor(options: ConnectionServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The CallerCredentials of requests that arrived at `origin` (the gateway's public base URL). */
  callerCredentials(origin: string) {
    return {
      accessToken: (server: ServerRecord, principal: Principal) =>
        this.accessToken(server, principal, origin),
    };
  }

  /** Where `server`'s users connect: the dashboard's connections page, which starts the flow. */
  connectUrl(origin: string, serverId: string): string {
    return `${origin}${CONNECTIONS_PAGE}?connect=${encodeURIComponent(serverId)}`;
  }

  /** Every per-user server the caller may see, with their connection to it. */
  async list(principal: Principal): Promise<ConnectionView[]> {
    const [servers, records] = await Promise.all([
      this.#perUserServers(principal),
      this.#options.store.listForUser(principal.tenant, principal.subject, principal.issuer),
    ]);
    const byServer = new Map(records.map((record) => [record.serverId, record]));
    return servers.map((server) => {
      const record = byServer.get(server.id);
      return {
        serverId: server.id,
        serverName: server.name,
        serverPath: server.path,
        provider: new URL(providerOf(server).authorizeUrl).host,
        status: record?.status ?? "not_connected",
        scopes: record?.scopes ?? [],
        expiresAt: record?.expiresAt ?? null,
        connectedAt: record?.createdAt ?? null,
        updatedAt: record?.updatedAt ?? null,
      };
    });
  }

  /** Starts connecting the caller's account: the provider's authorization URL (PKCE S256, sealed state). */
  async begin(principal: Principal, serverId: string, origin: string): Promise<ConnectStart> {
    const server = await this.#perUserServer(principal, serverId);
    const provider = providerOf(server);
    const verifier = randomToken(32);
    const binding = randomToken(24);
    const redirectUri = `${origin}${UPSTREAM_CALLBACK_PATH}`;
    const state: ConnectState = {
      tenant: principal.tenant,
      issuer: principal.issuer,
      subject: principal.subject,
      name: principal.name ?? null,
      serverId: server.id,
      verifier,
      binding,
      redirectUri,
      expiresAt: this.#now() + CONNECT_TTL_SECONDS * 1000,
    };
    const sealed = await this.#guard(() =>
      this.#options.cipher.seal(STATE_SCOPE, STATE_SCOPE, JSON.stringify(state)),
    );
    const url = new URL(provider.authorizeUrl);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", provider.clientId);
    url.searchParams.set("redirect_uri", redirectUri);
    if (provider.scopes.length > 0) url.searchParams.set("scope", provider.scopes.join(" "));
    url.searchParams.set("state", `${sealed.iv}.${sealed.ciphertext}`);
    url.searchParams.set("code_challenge", await s256(verifier));
    url.searchParams.set("code_challenge_method", "S256");
    return { authorizationUrl: url.href, browserBinding: binding };
  }

  /**
   * The provider's redirect: checks the state (sealed by this gateway, unexpired,
   * from this browser), exchanges the code and stores the sealed token set.
   * Returns the server connected; throws GatewayError with a safe detail.
   */
  async complete(input: {
    state: string | undefined;
    code: string | undefined;
    error: string | undefined;
    browserBinding: string | undefined;
  }): Promise<{ serverId: string; background: Promise<unknown> }> {
    const state = await this.#openState(input.state);
    if (state === null || state.expiresAt < this.#now()) {
      throw new GatewayError("validation", {
        detail: "The connect link is invalid or has expired; start again from the connections page",
        errors: [{ field: "state", message: "invalid or expired" }],
      });
    }
    if (input.browserBinding !== state.binding) {
      throw new GatewayError("forbidden", {
        detail: "This connect flow was started in another browser; start again from the connections page",
      });
    }
    if (input.error !== undefined || input.code === undefined) {
      throw new GatewayError("forbidden", {
        detail: `The provider did not grant access (${(input.error ?? "no code").slice(0, 100)})`,
      });
    }
    const server = await this.#options.registry.getServer(state.tenant, state.serverId);
    if (server === null || server.egress?.type !== "oauth") {
      throw new GatewayError("not-found", { detail: "The server no longer uses per-user credentials" });
    }
    const tokens = await this.#providerCall(() =>
      exchangeCode(this.#client(server), {
        code: input.code as string,
        codeVerifier: state.verifier,
        redirectUri: state.redirectUri,
      }),
    );
    const owner = { tenant: state.tenant, issuer: state.issuer, subject: state.subject };
    const existing = await this.#options.store.get(owner, server.id);
    await this.#save(owner, server.id, tokens, state.name, existing?.createdAt);
    // The catalog of a per-user server can only be read with someone's token: this user's, now.
    const background = this.#options.readCatalogWith?.(server, tokens.accessToken) ?? Promise.resolve();
    return { serverId: server.id, background: background.catch(() => {}) };
  }

  /**
   * `principal`'s current access token for `server`, refreshed when it is
   * about to expire. ConnectionRequiredError when there is
   * no usable connection: never connected, or a refresh the provider refused.
   */
  async accessToken(server: ServerRecord, principal: Principal, origin: string): Promise<string> {
    // Never logged: neither the token nor anything derived from it leaves this function but to the egress.
    const owner = ownerOf(principal);
    const record = await this.#options.store.get(owner, server.id);
    const required = (reason: "not_connected" | "reconnect") =>
      new ConnectionRequiredError(server.path, this.connectUrl(origin, server.id), reason);
    if (record === null) throw required("not_connected");
    if (record.status === "reconnect_required") throw required("reconnect");
    const tokens = await this.#open(record);
    if (tokens === null) throw required("reconnect");
    if (tokens.expiresAt === null || tokens.expiresAt - this.#now() > REFRESH_MARGIN_MS)
      return tokens.accessToken;
    try {
      return (await this.#refresh(owner, server, tokens, record)).accessToken;
    } catch (error) {
      if (!(error instanceof ProviderTokenError)) throw error;
      if (error.kind === "refused") {
        await this.#options.store.setStatus(owner, server.id, "reconnect_required", this.#iso());
        throw required("reconnect");
      }
      // The provider is down: a token that has not expired yet still works.
      if (tokens.expiresAt > this.#now()) return tokens.accessToken;
      throw required("reconnect");
    }
  }

  /** Removes the caller's own connection to the server. */
  async disconnect(principal: Principal, serverId: string): Promise<void> {
    if (!(await this.#options.store.delete(ownerOf(principal), serverId))) {
      throw new GatewayError("not-found", { detail: "You have no connection to this server" });
    }
  }

  /** Admins: every connection of the user with this subject (any issuer). */
  async listForUser(principal: Principal, subject: string): Promise<UserConnectionView[]> {
    await this.#options.access.requireManager(principal);
    const records = await this.#options.store.listForUser(principal.tenant, subject, null);
    const paths = new Map<string, string | null>();
    for (const record of records) {
      if (!paths.has(record.serverId)) {
        const server = await this.#options.registry.getServer(principal.tenant, record.serverId);
        paths.set(record.serverId, server?.path ?? null);
      }
    }
    return records.map((record) => ({
      serverId: record.serverId,
      serverPath: paths.get(record.serverId) ?? null,
      subject: record.subject,
      issuer: record.issuer,
      userName: record.userName,
      status: record.status,
      scopes: record.scopes,
      expiresAt: record.expiresAt,
      connectedAt: record.createdAt,
      updatedAt: record.updatedAt,
    }));
  }

  /** Admins: revokes the connection(s) of the user with this subject to the server. */
  async revokeForUser(principal: Principal, subject: string, serverId: string): Promise<void> {
    await this.#options.access.requireManager(principal);
    const records = await this.#options.store.listForUser(principal.tenant, subject, null);
    const matching = records.filter((record) => record.serverId === serverId);
    if (matching.length === 0)
      throw new GatewayError("not-found", { detail: "This user has no connection to this server" });
    await Promise.all(matching.map((record) => this.#options.store.delete(record, serverId)));
  }

  /** A deleted server's connections go with it (a registry observer). */
  async serverDeleted(tenant: string, id: string): Promise<void> {
    await this.#options.store.deleteForServer(tenant, id);
  }

  async serverSaved(): Promise<void> {}

  async #refresh(
    owner: CredentialOwner,
    server: ServerRecord,
    tokens: TokenSet,
    record: UserCredentialRecord,
  ): Promise<TokenSet> {
    const key = JSON.stringify([owner.tenant, owner.issuer, owner.subject, server.id]);
    if (this.#refreshing.has(key)) {
      await waitWhile(() => this.#refreshing.has(key), REFRESH_WAIT_MS);
      const done = this.#refreshed.get(key);
      // The other refresh failed or is still stuck: this request tries itself.
      if (done !== undefined && !this.#refreshing.has(key)) return done;
    }
    this.#refreshing.add(key);
    this.#refreshed.delete(key);
    try {
      const next = await refreshTokens(this.#client(server), tokens);
      await this.#save(owner, server.id, next, record.userName, record.createdAt);
      if (this.#refreshed.size >= MAX_REFRESHED) this.#refreshed.clear();
      // Read only by requests that waited on this refresh (each new refresh drops it first).
      this.#refreshed.set(key, next);
      return next;
    } finally {
      this.#refreshing.delete(key);
    }
  }

  async #save(
    owner: CredentialOwner,
    serverId: string,
    tokens: TokenSet,
    userName: string | null,
    createdAt: string | undefined,
  ): Promise<void> {
    const sealed = await this.#guard(() =>
      this.#options.cipher.seal(
        tenantScope(owner.tenant),
        associated(owner, serverId),
        JSON.stringify(tokens),
      ),
    );
    const now = this.#iso();
    await this.#options.store.put({
      ...owner,
      serverId,
      userName,
      status: "connected",
      ciphertext: sealed.ciphertext,
      iv: sealed.iv,
      expiresAt: tokens.expiresAt === null ? null : new Date(tokens.expiresAt).toISOString(),
      scopes: tokens.scopes,
      createdAt: createdAt ?? now,
      updatedAt: now,
    });
  }

  async #open(record: UserCredentialRecord): Promise<TokenSet | null> {
    const plaintext = await this.#guard(() =>
      this.#options.cipher.open(tenantScope(record.tenant), associated(record, record.serverId), record),
    );
    return plaintext === null ? null : (JSON.parse(plaintext) as TokenSet);
  }

  async #openState(value: string | undefined): Promise<ConnectState | null> {
    if (value === undefined || value.length > 8192) return null;
    const [iv, ciphertext] = value.split(".");
    if (!iv || !ciphertext) return null;
    const plaintext = await this.#guard(() =>
      this.#options.cipher.open(STATE_SCOPE, STATE_SCOPE, { iv, ciphertext }),
    );
    return plaintext === null ? null : (JSON.parse(plaintext) as ConnectState);
  }

  #client(server: ServerRecord): ProviderClient {
    const provider = providerOf(server);
    let clientSecret: string | undefined;
    if (provider.clientSecret !== undefined) {
      clientSecret = this.#options.secrets(provider.clientSecret);
      if (clientSecret === undefined) {
        throw new GatewayError("unavailable", {
          detail: `server "${server.path}" is misconfigured: its OAuth client secret is not set`,
        });
      }
    }
    // Unbound: workerd's fetch refuses to be called as a method of another object.
    const send = this.#options.fetch ?? ((input, init) => fetch(input, init));
    return { provider, clientSecret, fetch: send, now: this.#now };
  }

  async #providerCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof ProviderTokenError)) throw error;
      throw new GatewayError(error.kind === "refused" ? "forbidden" : "upstream", {
        detail: `Connecting failed: ${error.message}`,
      });
    }
  }

  /** A missing CREDENTIAL_ENCRYPTION_KEY is a 503 naming the setting, never a 500. */
  async #guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CipherUnavailableError)
        throw new GatewayError("unavailable", { detail: error.message });
      throw error;
    }
  }

  async #perUserServer(principal: Principal, serverId: string): Promise<ServerRecord> {
    const server = await this.#options.registry.getServer(principal.tenant, serverId);
    const viewer = await this.#options.access.viewer(principal);
    if (server === null || !canSee(viewer, server) || server.lifecycle === "deleted") {
      throw new GatewayError("not-found", { detail: "No such server" });
    }
    if (server.egress?.type !== "oauth") {
      throw new GatewayError("conflict", {
        detail: `Server "${server.path}" does not use per-user credentials`,
      });
    }
    return server;
  }

  async #perUserServers(principal: Principal): Promise<ServerRecord[]> {
    const viewer = await this.#options.access.viewer(principal);
    const found: ServerRecord[] = [];
    let cursor: string | undefined;
    let seen = 0;
    do {
      const page = await this.#options.registry.listServers(principal.tenant, {
        limit: SERVER_PAGE,
        ...(cursor && { cursor }),
      });
      seen += page.items.length;
      for (const server of page.items) {
        if (server.egress?.type === "oauth" && server.lifecycle !== "deleted" && canSee(viewer, server)) {
          found.push(server);
        }
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor && seen < MAX_SERVERS);
    return found;
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

function providerOf(server: ServerRecord): OAuthEgressProvider {
  if (server.egress?.type !== "oauth") throw new Error(`server ${server.id} has no oauth egress`);
  return server.egress.provider;
}

function ownerOf(principal: Principal): CredentialOwner {
  return { tenant: principal.tenant, issuer: principal.issuer, subject: principal.subject };
}

function tenantScope(tenant: string): string {
  return `tenant:${tenant}`;
}

/** Associated data: the ciphertext opens only for this tenant, user and server. */
function associated(owner: CredentialOwner, serverId: string): string {
  return JSON.stringify([owner.tenant, owner.issuer, owner.subject, serverId]);
}
