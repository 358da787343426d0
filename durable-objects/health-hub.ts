// HealthHub: one per tenant, named `health:{tenant}`: the live-health
// WebSockets of dashboards. A browser cannot set headers on a WebSocket, so a
// client first POSTs (with its bearer token) for a one-time ticket valid for
// a minute, then opens the socket with `?ticket=...`. The hub accepts sockets
// with the hibernation API (the object may leave memory while sockets stay
// open; each socket carries its principal as an attachment), and relays the
// ServerState objects' health events to every socket whose principal may
// `list_service` the server. Pings are answered without waking the object.
import { DurableObject } from "cloudflare:workers";
import type { Principal } from "../worker/auth/principal.ts";
import type { GatewayConfig } from "../worker/env.ts";
import { base64urlEncode, sha256Hex } from "../worker/platform/encoding.ts";
import type { HealthEvent } from "../worker/resilience/state-types.ts";
import { type Services, servicesFor } from "../worker/services.ts";

export const HEALTH_HUB_STORAGE = {
  /** SQL: one-time tickets: SHA-256 of the ticket -> principal JSON, expiry (epoch ms). */
  ticketsTable: "tickets",
} as const;

export const TICKET_TTL_MS = 60_000;
/** The first message of a socket lists at most this many servers. */
const SNAPSHOT_LIMIT = 500;

interface Attachment {
  principal: Principal;
  connectedAt: number;
}

export interface LiveSnapshot {
  type: "snapshot";
  servers: { serverId: string; path: string; name: string; health: HealthEvent["health"] }[];
  truncated: boolean;
}

export class HealthHub extends DurableObject<Env> {
  private composition: { services: Services; config: GatewayConfig } | null = null;

  /** A Durable Object is its own entry point: it composes its services once, on first use. */
  private composed(): { services: Services; config: GatewayConfig } {
    this.composition ??= servicesFor(this.env);
    return this.composition;
  }

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS ${HEALTH_HUB_STORAGE.ticketsTable} (hash TEXT PRIMARY KEY, principal TEXT NOT NULL, expires_at INTEGER NOT NULL)`,
    );
    // Keep-alives cost nothing: the runtime answers them while the object hibernates.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** A ticket for one WebSocket connection of `principal`, valid for TICKET_TTL_MS. */
  async issueTicket(principal: Principal): Promise<{ ticket: string; expiresAt: string }> {
    const now = Date.now();
    this.ctx.storage.sql.exec(`DELETE FROM ${HEALTH_HUB_STORAGE.ticketsTable} WHERE expires_at <= ?`, now);
    const secret = base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
    const expiresAt = now + TICKET_TTL_MS;
    this.ctx.storage.sql.exec(
      `INSERT INTO ${HEALTH_HUB_STORAGE.ticketsTable} (hash, principal, expires_at) VALUES (?, ?, ?)`,
      await sha256Hex(secret),
      JSON.stringify(principal),
      expiresAt,
    );
    return { ticket: secret, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The WebSocket upgrade (the route checked Origin and the Upgrade header). */
  override async fetch(request: Request): Promise<Response> {
    const ticket = new URL(request.url).searchParams.get("ticket") ?? "";
    const principal = await this.redeem(ticket);
    if (principal === null) {
      return Response.json(
        {
          type: "urn:mcp-gateway:problem:unauthorized",
          title: "Authentication required",
          status: 401,
          detail: "The ticket is unknown, used or expired",
        },
        { status: 401, headers: { "content-type": "application/problem+json" } },
      );
    }
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ principal, connectedAt: Date.now() } satisfies Attachment);
    server.send(JSON.stringify(await this.snapshotFor(principal)));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Relays a health change to every socket allowed to see the server; answers how many got it. */
  async publish(event: HealthEvent): Promise<number> {
    const access = this.composed().services.access;
    const message = JSON.stringify(event);
    let delivered = 0;
    for (const socket of this.ctx.getWebSockets()) {
      const attachment = socket.deserializeAttachment() as Attachment | null;
      if (!attachment) continue;
      const decision = await access.decide(attachment.principal, {
        kind: "registry",
        action: "list_service",
        resource: event.path,
      });
      if (!decision.allow) continue;
      try {
        socket.send(message);
        delivered += 1;
      } catch {
        // The socket is closing; its close handler cleans up.
      }
    }
    return delivered;
  }

  /** Open sockets (for tests and diagnostics). */
  async connections(): Promise<number> {
    return this.ctx.getWebSockets().length;
  }

  override async webSocketMessage(socket: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message !== '{"type":"snapshot"}') return;
    const attachment = socket.deserializeAttachment() as Attachment | null;
    if (attachment) socket.send(JSON.stringify(await this.snapshotFor(attachment.principal)));
  }

  override async webSocketClose(socket: WebSocket, code: number, reason: string): Promise<void> {
    // The hibernation API leaves answering the close frame to us; reserved codes cannot be sent.
    const reply = code === 1005 || code === 1006 || code === 1015 ? 1000 : code;
    try {
      socket.close(reply, reason);
    } catch {
      // Already closed.
    }
  }

  private async redeem(ticket: string): Promise<Principal | null> {
    if (!/^[A-Za-z0-9_-]{32,128}$/.test(ticket)) return null;
    const hash = await sha256Hex(ticket);
    // One statement: a ticket is taken exactly once, even by concurrent upgrades.
    const row = this.ctx.storage.sql
      .exec<{ principal: string; expires_at: number }>(
        `DELETE FROM ${HEALTH_HUB_STORAGE.ticketsTable} WHERE hash = ? RETURNING principal, expires_at`,
        hash,
      )
      .toArray()[0];
    if (!row || row.expires_at <= Date.now()) return null;
    return JSON.parse(row.principal) as Principal;
  }

  private async snapshotFor(principal: Principal): Promise<LiveSnapshot> {
    const servers: LiveSnapshot["servers"] = [];
    let cursor: string | undefined;
    do {
      const page = await this.composed().services.servers.list(principal, {
        limit: 100,
        ...(cursor !== undefined && { cursor }),
      });
      for (const server of page.items) {
        servers.push({ serverId: server.id, path: server.path, name: server.name, health: server.health });
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && servers.length < SNAPSHOT_LIMIT);
    return { type: "snapshot", servers: servers.slice(0, SNAPSHOT_LIMIT), truncated: cursor !== undefined };
  }
}
