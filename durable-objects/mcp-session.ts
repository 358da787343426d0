// McpSession: one per session of a session-based (2025-era) client of the
// aggregated endpoint, named `session:{id}`. It owns what makes the session a
// session: the identity that created it (no other identity may use it), the
// negotiated protocol version and client capabilities, the upstream sessions
// opened on its behalf (reused call after call), and its expiry when idle
// (alarm). Everything lives in storage, so the session survives eviction and
// isolate restarts; each request is served by a fresh gateway server.
// RPC only: the Worker authenticates and calls open / handle / end.
import { DurableObject } from "cloudflare:workers";
import { type ExchangeInit, GatewayExchange } from "../worker/aggregated/gateway-exchange.ts";
import { wrapUri } from "../worker/aggregated/gateway-names.ts";
import { listenForClient } from "../worker/aggregated/gateway-relay.ts";
import { serveSessionRequest } from "../worker/aggregated/gateway-serving.ts";
import {
  HeldUpstreamCall,
  type InputExchangeInit,
  type InputStep,
  type ProgressSink,
} from "../worker/aggregated/input-exchange.ts";
import { servableScope } from "../worker/aggregated/server-scope.ts";
import { sessionToolCall } from "../worker/aggregated/session-call.ts";
import { SessionRelay } from "../worker/aggregated/session-relay.ts";
import { SessionStreams } from "../worker/aggregated/session-streams.ts";
import type { Principal } from "../worker/auth/principal.ts";
import { type IngressSnapshot, McpRequest } from "../worker/edge/ingress.ts";
import type { GatewayConfig } from "../worker/env.ts";
import type { SessionAnswer, SessionFacts, SessionNotice } from "../worker/platform/durable-objects.ts";
import { ErrorCode } from "../worker/protocol/jsonrpc.ts";
import { jsonRpcError, sessionNotFound, unsupportedVersion } from "../worker/protocol/replies.ts";
import { callerKey } from "../worker/proxy/session-token.ts";
import { type Services, servicesFor } from "../worker/services.ts";
import { applyEgress, secretsFromEnv } from "../worker/upstream/egress.ts";
import { callUpstream, type UpstreamSessionStore } from "../worker/upstream/upstream-call.ts";
import { terminateUpstreamSession, type UpstreamSession } from "../worker/upstream/upstream-client.ts";
import { relayedCapabilities } from "../worker/upstream/upstream-relay.ts";

/** Storage keys (see docs/storage.md). */
export const SESSION_KEYS = {
  /** The SessionRecord. */
  session: "session",
  /** `upstream:{serverId} {endpoint url}` -> StoredUpstreamSession. */
  upstreamPrefix: "upstream:",
} as const;

export interface SessionRecord {
  id: string;
  /** callerKey(principal): tenant, issuer and subject of the creating identity. */
  owner: string;
  tenant: string;
  protocolVersion: string;
  clientInfo: unknown;
  clientCapabilities: unknown;
  createdAt: string;
  /** Epoch ms of the last request (refreshed at most once per TOUCH_INTERVAL_MS). */
  lastSeenAt: number;
  /** The virtual server the session belongs to (`/v/{name}/mcp`); absent for `/mcp`. */
  virtual?: string;
}

export interface StoredUpstreamSession extends UpstreamSession {
  serverId: string;
  endpointUrl: string;
  openedAt: string;
}

/** lastSeenAt is written at most this often, so a busy session does not write on every request. */
const TOUCH_INTERVAL_MS = 30_000;

export class McpSession extends DurableObject<Env> {
  /** undefined: not loaded yet; null: no session here. */
  private record: SessionRecord | null | undefined;
  private upstream = new Map<string, StoredUpstreamSession>();
  /** In memory only: requests in flight, the standalone stream, subscriptions (see docs/architecture.md). */
  private relay: SessionRelay | null = null;
  /** In memory only: the session's resumable POST streams (session-streams.ts). */
  private readonly streams = new SessionStreams();
  /** An object named `input:{id}` holds one upstream exchange waiting for a 2026 caller's input. */
  private held: HeldUpstreamCall | null = null;
  private readonly services: Services;
  private readonly config: GatewayConfig;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A Durable Object is its own entry point: its constructor is its composition root.
    ({ services: this.services, config: this.config } = servicesFor(env));
  }

  /**
   * Serves the `initialize` request that creates session `sessionId` for
   * `principal`. The answer carries `Mcp-Session-Id`; nothing is stored
   * unless initialization succeeded.
   */
  async open(snapshot: IngressSnapshot, sessionId: string, virtual: string | null = null): Promise<Response> {
    if ((await this.load()) !== null) {
      return jsonRpcError(409, ErrorCode.InvalidRequest, "Session already exists");
    }
    const request = this.request(snapshot);
    const principal = request.principal;
    const params = initializeParams(request);
    const exchange = await this.exchange(request, sessionId, virtual);
    if (!exchange) return sessionNotFound();
    const response = await serveSessionRequest(exchange, { json: true });
    const text = await response.text();
    const version = negotiatedVersion(text);
    if (response.status !== 200 || version === null) return new Response(text, response);

    const now = Date.now();
    this.record = {
      id: sessionId,
      owner: callerKey(principal),
      tenant: principal.tenant,
      protocolVersion: version,
      clientInfo: params.clientInfo ?? null,
      clientCapabilities: params.capabilities ?? {},
      createdAt: new Date(now).toISOString(),
      lastSeenAt: now,
      ...(virtual !== null && { virtual }),
    };
    await this.ctx.storage.put(SESSION_KEYS.session, this.record);
    await this.ctx.storage.setAlarm(now + this.idleMs());
    const headers = new Headers(response.headers);
    headers.set("mcp-session-id", sessionId);
    return new Response(text, { status: response.status, headers });
  }

  /** A later request of the session (POST, or GET for the standalone stream). */
  async handle(snapshot: IngressSnapshot, virtual: string | null = null): Promise<SessionAnswer> {
    const record = await this.ownedBy(snapshot.principal, virtual);
    if (!record) return sessionNotFound();
    await this.touch(record);
    const request = this.request(snapshot);
    // Within a session only the negotiated version is spoken (no header: the client predates it).
    const version = request.protocolVersion;
    if (version !== null && version !== record.protocolVersion) {
      return unsupportedVersion(version, [record.protocolVersion]);
    }
    const relay = this.relayOf(record);
    const exchange = await this.exchange(request, record.id, virtual);
    if (!exchange) return sessionNotFound();
    if (snapshot.method === "GET") {
      if (!(request.header("accept") ?? "").includes("text/event-stream"))
        return new Response(null, { status: 406 });
      // A stream of this session closed before its answer, resumed after the last event the client saw.
      const lastEventId = request.header("last-event-id");
      if (lastEventId !== null) return this.streams.resume(lastEventId) ?? unknownEvent();
      // The standalone stream: list changes and resource updates of the upstreams the caller may see.
      const { response, ended } = relay.openStream();
      relay.relisten = () => {
        listenForClient(exchange, relay, ended).catch(() => {});
      };
      relay.relisten();
      return response;
    }
    const messages = request.body?.messages ?? [];
    if (request.bodyError === null && messages.length > 0 && !messages.some((m) => m.type === "request")) {
      // Answers to the gateway's requests and cancellations: they belong to requests already in flight.
      relay.deliver(messages);
      return new Response(null, { status: 202 });
    }
    // A plain tools/call is answered without a per-request SDK server (session-call.ts).
    const direct = sessionToolCall(exchange, { streams: this.streams, relay });
    if (direct) return direct;
    return serveSessionRequest(exchange, {
      json: false,
      serving: (transport) => relay.serve(transport, messages),
      streams: this.streams,
    });
  }

  /** DELETE: ends the session and the upstream sessions it opened. */
  async end(snapshot: IngressSnapshot, virtual: string | null = null): Promise<Response> {
    const record = await this.ownedBy(snapshot.principal, virtual);
    if (!record) return sessionNotFound();
    const exchange = this.baseExchange(this.request(snapshot), record.id);
    exchange.action("DELETE", "session_ended");
    exchange.record();
    await this.terminate(record);
    return new Response(null, { status: 204 });
  }

  /**
   * What a Worker needs to serve this session's plain calls itself
   * (aggregated/session-ledger.ts), for `principal` only when it owns the
   * session on this endpoint; null otherwise (unknown, foreign, ended). The
   * Worker asks every few seconds while it serves the session, so this is
   * also the session's use for the idle expiry (the same touch as `handle`).
   */
  async facts(principal: Principal, virtual: string | null = null): Promise<SessionFacts | null> {
    const record = await this.ownedBy(principal, virtual);
    if (!record) return null;
    await this.touch(record);
    const upstream: SessionFacts["upstream"] = {};
    for (const [key, session] of this.upstream) {
      upstream[key] = { sessionId: session.sessionId, protocolVersion: session.protocolVersion };
    }
    return {
      owner: record.owner,
      virtual: record.virtual ?? null,
      protocolVersion: record.protocolVersion,
      bridges: Object.keys(relayedCapabilities(record.clientCapabilities)).length > 0,
      upstream,
    };
  }

  /**
   * A notification an upstream sent during a call the Worker served (list
   * changes, resource updates): the session's standalone stream carries it,
   * as for a call served here (`ClientChannel.notify`).
   */
  async relayNotice(
    principal: Principal,
    virtual: string | null,
    serverPath: string,
    notice: SessionNotice,
  ): Promise<void> {
    if (!(await this.ownedBy(principal, virtual))) return;
    this.relay?.upstreamNotice(serverPath, notice);
  }

  /**
   * An upstream session a Worker opened for this session's call because the
   * one the object keeps (`replaces`, as the Worker was told) failed: kept as
   * the session's own, as `claim` keeps one opened here, so the object ends it
   * with the session. Refused (false) when the session is not the caller's any
   * more or another call already replaced it; the object then ends the
   * offered upstream session itself, so none is left open unowned.
   */
  async adoptUpstream(
    principal: Principal,
    virtual: string | null,
    key: string,
    session: { sessionId: string; protocolVersion: string },
    replaces: string | null,
  ): Promise<boolean> {
    const record = await this.ownedBy(principal, virtual);
    const current = this.upstream.get(key);
    const [serverId = "", endpointUrl = ""] = splitKey(key);
    const stored: StoredUpstreamSession = {
      sessionId: session.sessionId,
      protocolVersion: session.protocolVersion,
      serverId,
      endpointUrl,
      openedAt: new Date().toISOString(),
    };
    if (record && (current === undefined || current.sessionId === replaces)) {
      this.upstream.set(key, stored);
      await this.ctx.storage.put(`${SESSION_KEYS.upstreamPrefix}${key}`, stored);
      this.relay?.relisten?.();
      return true;
    }
    await this.endUpstream(record?.tenant ?? principal.tenant, stored);
    return false;
  }

  /** Starts the upstream call of a 2026 caller that may have to answer input requests (input-exchange.ts). */
  async startInput(init: InputExchangeInit, onProgress?: ProgressSink): Promise<InputStep> {
    const server = await this.services.store.getServer(init.tenant, init.serverId);
    if (!server || this.held) return { kind: "gone" };
    this.held = new HeldUpstreamCall(
      init.caller,
      init.capabilities,
      (relay, progress) =>
        callUpstream(server, init.request, {
          secrets: secretsFromEnv(this.env),
          lease: {
            resilience: { env: this.env, settings: this.config.resilience },
            waitUntil: this.ctx,
            principal: init.principal,
          },
          fetch: this.services.egress.fetch,
          relay,
          onProgress: progress,
        }),
      init.responses,
    );
    return this.held.next(onProgress);
  }

  /** The caller's retry with its answers: the next step of the held call. */
  async resumeInput(
    caller: string,
    responses: Record<string, unknown>,
    onProgress?: ProgressSink,
  ): Promise<InputStep> {
    const held = this.held;
    if (!held || held.caller !== caller || Date.now() > held.expiresAt) return { kind: "gone" };
    held.answer(responses);
    const step = await held.next(onProgress);
    if (step.kind !== "input") this.held = null;
    return step;
  }

  /** Idle expiry: ends the session once it has seen no request for the idle time. */
  override async alarm(): Promise<void> {
    const record = await this.load();
    if (!record) return;
    const expiresAt = record.lastSeenAt + this.idleMs();
    if (Date.now() < expiresAt) {
      await this.ctx.storage.setAlarm(expiresAt);
      return;
    }
    await this.terminate(record);
  }

  private async load(): Promise<SessionRecord | null> {
    if (this.record !== undefined) return this.record;
    const stored = await this.ctx.storage.get<SessionRecord>(SESSION_KEYS.session);
    const upstream = await this.ctx.storage.list<StoredUpstreamSession>({
      prefix: SESSION_KEYS.upstreamPrefix,
    });
    this.upstream = new Map(
      [...upstream].map(([key, value]) => [key.slice(SESSION_KEYS.upstreamPrefix.length), value]),
    );
    this.record = stored ?? null;
    return this.record;
  }

  /**
   * The session, if `principal` is the identity that created it on the same
   * endpoint (an unknown, a foreign and another endpoint's session look alike).
   */
  private async ownedBy(principal: Principal, virtual: string | null): Promise<SessionRecord | null> {
    const record = await this.load();
    return record && record.owner === callerKey(principal) && (record.virtual ?? null) === virtual
      ? record
      : null;
  }

  private async touch(record: SessionRecord): Promise<void> {
    const now = Date.now();
    if (now - record.lastSeenAt < TOUCH_INTERVAL_MS) return;
    record.lastSeenAt = now;
    await this.ctx.storage.put(SESSION_KEYS.session, record);
    await this.ctx.storage.setAlarm(now + this.idleMs());
  }

  private async terminate(record: SessionRecord): Promise<void> {
    const upstream = [...this.upstream.values()];
    this.relay?.closeStream();
    this.relay = null;
    this.streams.clear();
    this.record = null;
    this.upstream.clear();
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    await Promise.all(upstream.map((session) => this.endUpstream(record.tenant, session)));
  }

  private async endUpstream(tenant: string, session: StoredUpstreamSession): Promise<void> {
    const server = await this.services.store.getServer(tenant, session.serverId);
    const endpoint = server?.endpoints.find((candidate) => candidate.url === session.endpointUrl);
    if (!server || !endpoint) return;
    try {
      const egress = applyEgress(endpoint.url, server.egress, secretsFromEnv(this.env));
      await terminateUpstreamSession(
        { url: egress.url, transport: endpoint.transport, headers: egress.headers },
        session,
        { fetch: this.services.egress.fetch },
      );
    } catch {
      // A missing secret or a gone upstream: the upstream expires the session itself.
    }
  }

  /** The ingress's request, rebuilt here without reading or parsing the body again. */
  private request(snapshot: IngressSnapshot): McpRequest {
    return McpRequest.fromSnapshot(snapshot, {
      deps: { services: this.services, config: this.config, env: this.env, waitUntil: this.ctx },
    });
  }

  /** The exchange of a request; null when the session's virtual server is gone or disabled. */
  private async exchange(
    request: McpRequest,
    sessionId: string,
    virtual: string | null,
  ): Promise<GatewayExchange | null> {
    if (virtual === null) return this.baseExchange(request, sessionId);
    // A virtual server by name, or a registered server's `/{path}` (the per-server session bridge).
    const scope = await servableScope(this.services, request.principal, virtual);
    return scope && this.baseExchange(request, sessionId, scope);
  }

  private baseExchange(
    request: McpRequest,
    sessionId: string,
    scope: Pick<ExchangeInit, "endpoint" | "createServer" | "relayServers" | "resources"> = {},
  ): GatewayExchange {
    return new GatewayExchange({
      request,
      generation: "session",
      sessionId,
      upstreamSessions: this.upstreamStore(),
      ...(this.relay && {
        // An upstream that closes a call's stream to be polled has the client's stream shed too.
        clientChannel: { ...this.relay.channel(), shed: (id, reconnect) => this.streams.shed(id, reconnect) },
      }),
      ...scope,
    });
  }

  /** The session's relay, made when the object (re)loads the session. */
  private relayOf(record: SessionRecord): SessionRelay {
    this.relay ??= new SessionRelay(
      relayedCapabilities(record.clientCapabilities),
      // The aggregated endpoint names resources mcpgw://{server}/{uri}; a virtual server keeps the upstream's.
      record.virtual === undefined ? wrapUri : (_server, uri) => uri,
    );
    return this.relay;
  }

  private upstreamStore(): UpstreamSessionStore {
    return {
      get: (key) => this.upstream.get(key),
      claim: (key, session) => {
        if (this.upstream.has(key) || !this.record) return false;
        const [serverId = "", endpointUrl = ""] = splitKey(key);
        const stored: StoredUpstreamSession = {
          ...session,
          serverId,
          endpointUrl,
          openedAt: new Date().toISOString(),
        };
        this.upstream.set(key, stored);
        this.ctx.storage.put(`${SESSION_KEYS.upstreamPrefix}${key}`, stored).catch(() => {});
        // An open standalone stream listens on the new upstream session too.
        this.relay?.relisten?.();
        return true;
      },
      delete: (key) => {
        if (!this.upstream.delete(key)) return;
        this.ctx.storage.delete(`${SESSION_KEYS.upstreamPrefix}${key}`).catch(() => {});
      },
    };
  }

  private idleMs(): number {
    return this.config.mcpSessionIdleMs;
  }
}

/** Upstream session keys are `{serverId} {endpoint url}` (see worker/mcp/upstream-call.ts). */
function splitKey(key: string): [string, string] {
  const space = key.indexOf(" ");
  return [key.slice(0, space), key.slice(space + 1)];
}

/** A Last-Event-ID that names no stream kept by this session (never one of another session's). */
function unknownEvent(): Response {
  return jsonRpcError(
    400,
    ErrorCode.InvalidRequest,
    "Bad Request: Last-Event-ID names no resumable stream of this session",
  );
}

interface InitializeParams {
  clientInfo?: unknown;
  capabilities?: unknown;
}

function initializeParams(request: McpRequest): InitializeParams {
  const first = request.body?.messages[0];
  return first !== undefined && first.type === "request"
    ? ((first.message.params ?? {}) as InitializeParams)
    : {};
}

/** The protocol version of a successful initialize answer, or null. */
function negotiatedVersion(text: string): string | null {
  try {
    const body = JSON.parse(text) as { result?: { protocolVersion?: unknown } };
    const version = body.result?.protocolVersion;
    return typeof version === "string" ? version : null;
  } catch {
    return null;
  }
}
