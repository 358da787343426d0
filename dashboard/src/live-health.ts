// Live health over the gateway's WebSocket (routes/health.ts): a browser
// cannot put a bearer token on a WebSocket, so each connection first gets a
// one-time ticket with the token (POST /api/v1/health/tickets), then opens the
// ticket's URL. The first message is a snapshot of the servers the user may
// list; after that, one message per health change. Reconnects with backoff.
import { useEffect, useState } from "react";
import type { GatewayApi, HealthSummary } from "./api.ts";

export type LiveStatus = "connecting" | "live" | "offline";

interface Snapshot {
  type: "snapshot";
  servers: { serverId: string; health: HealthSummary }[];
}

interface HealthEvent {
  type: "health";
  serverId: string;
  health: HealthSummary;
}

const KEEPALIVE_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

export interface LiveHealth {
  status: LiveStatus;
  /** Latest health by server id (from the snapshot and later events). */
  byServer: ReadonlyMap<string, HealthSummary>;
}

export function useLiveHealth(api: GatewayApi, enabled: boolean): LiveHealth {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const [byServer, setByServer] = useState<ReadonlyMap<string, HealthSummary>>(new Map());

  useEffect(() => {
    if (!enabled) return;
    let socket: WebSocket | null = null;
    let stopped = false;
    let attempt = 0;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let keepalive: ReturnType<typeof setInterval> | undefined;

    const scheduleReconnect = () => {
      if (stopped) return;
      setStatus("offline");
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
      attempt += 1;
      retryTimer = setTimeout(connect, delay);
    };

    const onMessage = (event: MessageEvent) => {
      if (typeof event.data !== "string" || event.data === "pong") return;
      let message: Snapshot | HealthEvent;
      try {
        message = JSON.parse(event.data) as Snapshot | HealthEvent;
      } catch {
        return;
      }
      if (message.type === "snapshot") {
        setByServer(new Map(message.servers.map((server) => [server.serverId, server.health])));
      } else if (message.type === "health") {
        setByServer((previous) => new Map(previous).set(message.serverId, message.health));
      }
    };

    async function connect() {
      setStatus("connecting");
      let url: string;
      try {
        url = await api.liveHealthUrl();
      } catch {
        scheduleReconnect();
        return;
      }
      if (stopped) return;
      const opened = new WebSocket(url);
      socket = opened;
      opened.addEventListener("open", () => {
        if (stopped) return;
        attempt = 0;
        setStatus("live");
        keepalive = setInterval(() => opened.send("ping"), KEEPALIVE_MS);
      });
      opened.addEventListener("message", onMessage);
      opened.addEventListener("close", () => {
        clearInterval(keepalive);
        if (socket === opened) scheduleReconnect();
      });
    }

    void connect();
    return () => {
      stopped = true;
      clearTimeout(retryTimer);
      clearInterval(keepalive);
      // Closing a socket that is still connecting makes the browser log an error; wait for it to open.
      if (socket?.readyState === WebSocket.CONNECTING) {
        const pending = socket;
        pending.addEventListener("open", () => pending.close(1000, "dashboard left"));
      } else {
        socket?.close(1000, "dashboard left");
      }
    };
  }, [api, enabled]);

  return { status, byServer };
}
