// The live-health WebSocket: one-time tickets from an authenticated POST (the
// socket itself carries no Authorization header), a first snapshot and then
// health changes, each filtered by policy (`list_service` per server), and
// sockets that keep working after the hub object hibernates (eviction).
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { healthHubName, serverStateName } from "../../worker/platform/durable-objects.ts";
import type { HealthEvent } from "../../worker/resilience/state-types.ts";
import { BASE } from "../support/api.ts";
import { fault, newReplica, type Replica } from "../support/fleet.ts";
import { apiAs, principal, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();

const tenant = uniqueTenant("live-health");
const run = `lh${Date.now().toString(36)}`;
const admin = principal({ tenant, subject: "root", groups: ["mcp-registry-admin"] });
const viewer = principal({ tenant, subject: "viewer", groups: ["viewers"] });

const document = {
  group_mappings: { "mcp-registry-admin": ["admin"], viewers: ["viewer"] },
  ui_scopes: {
    admin: {
      list_service: ["all"],
      register_service: ["all"],
      delete_service: ["all"],
      manage_scopes: ["all"],
    },
    viewer: { list_service: [`${run}-visible`] },
  },
};

interface Registered {
  id: string;
  path: string;
  replica: Replica;
}
const servers: Record<"visible" | "hidden", Registered> = {} as Record<"visible" | "hidden", Registered>;

beforeAll(async () => {
  expect((await apiAs(admin, "/api/v1/scopes", { method: "PUT", json: document })).status).toBe(200);
  for (const name of ["visible", "hidden"] as const) {
    const replica = await newReplica();
    const response = await apiAs(admin, "/api/v1/servers", {
      method: "POST",
      json: { name: `Live ${name}`, path: `${run}-${name}`, endpoints: [{ url: replica.url }] },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const { id, path } = (await response.json()) as { id: string; path: string };
    servers[name] = { id, path, replica };
  }
});

interface Live {
  socket: WebSocket;
  messages: unknown[];
  next(predicate?: (message: unknown) => boolean): Promise<unknown>;
}

async function connect(who: Principal): Promise<Live> {
  const issued = await apiAs(who, "/api/v1/health/tickets", { method: "POST" });
  expect(issued.status).toBe(201);
  const { url } = (await issued.json()) as { url: string };
  const response = await exports.default.fetch(`${BASE}${url}`, { headers: { upgrade: "websocket" } });
  expect(response.status).toBe(101);
  const socket = response.webSocket;
  if (!socket) throw new Error("no WebSocket");
  socket.accept();
  const messages: unknown[] = [];
  const waiting: { predicate: (message: unknown) => boolean; resolve: (message: unknown) => void }[] = [];
  let seen = 0;
  socket.addEventListener("message", (event) => {
    let message: unknown;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return; // "pong" and other plain text
    }
    messages.push(message);
    for (const waiter of [...waiting]) {
      if (waiter.predicate(message)) {
        waiting.splice(waiting.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  return {
    socket,
    messages,
    next(predicate = () => true) {
      const already = messages.slice(seen).find(predicate);
      if (already) {
        seen = messages.indexOf(already) + 1;
        return Promise.resolve(already);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no message within 5 s")), 5_000);
        waiting.push({
          predicate,
          resolve: (message) => {
            clearTimeout(timer);
            seen = messages.indexOf(message) + 1;
            resolve(message);
          },
        });
      });
    },
  };
}

function stateStub(id: string) {
  return env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(id)));
}

const isHealth = (serverId: string, status: string) => (message: unknown) =>
  (message as HealthEvent).type === "health" &&
  (message as HealthEvent).serverId === serverId &&
  (message as HealthEvent).health.status === status;

describe("live health WebSocket", () => {
  it("refuses an upgrade without a valid ticket, and a ticket twice", async () => {
    // (Every answer body is read: an unread body keeps the hub's request open, and eviction waits for it.)
    const none = await exports.default.fetch(`${BASE}/api/v1/health/live`, {
      headers: { upgrade: "websocket" },
    });
    expect(none.status).toBe(401);
    await none.body?.cancel();
    const issued = await apiAs(viewer, "/api/v1/health/tickets", { method: "POST" });
    const { url, ticket } = (await issued.json()) as { url: string; ticket: string };
    expect(url).not.toContain("access_token");
    const first = await exports.default.fetch(`${BASE}${url}`, { headers: { upgrade: "websocket" } });
    expect(first.status).toBe(101);
    first.webSocket?.accept();
    first.webSocket?.close(1000, "done");
    const again = await exports.default.fetch(`${BASE}${url}`, { headers: { upgrade: "websocket" } });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ detail: "The ticket is unknown, used or expired" });
    const forged = await exports.default.fetch(
      `${BASE}/api/v1/health/live?ticket=${ticket.split(".")[0]}.${"x".repeat(43)}`,
      {
        headers: { upgrade: "websocket" },
      },
    );
    expect(forged.status).toBe(401);
    await forged.body?.cancel();
    const notSocket = await exports.default.fetch(`${BASE}${url}`);
    expect(notSocket.status).toBe(426);
    await notSocket.body?.cancel();
    const foreign = await exports.default.fetch(`${BASE}${url}`, {
      headers: { upgrade: "websocket", origin: "https://evil.example" },
    });
    expect(foreign.status).toBe(403);
    await foreign.body?.cancel();
    // Tickets are only for authenticated callers.
    const anonymous = await exports.default.fetch(`${BASE}/api/v1/health/tickets`, { method: "POST" });
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
  });

  it("pushes a snapshot, then health changes, filtered by policy; survives hibernation", async () => {
    const adminLive = await connect(admin);
    const viewerLive = await connect(viewer);
    const adminSnapshot = (await adminLive.next()) as { type: string; servers: { path: string }[] };
    const viewerSnapshot = (await viewerLive.next()) as { type: string; servers: { path: string }[] };
    expect(adminSnapshot.type).toBe("snapshot");
    expect(adminSnapshot.servers.map((s) => s.path).sort()).toEqual([
      servers.hidden.path,
      servers.visible.path,
    ]);
    expect(viewerSnapshot.servers.map((s) => s.path)).toEqual([servers.visible.path]);

    // Both servers become healthy (first checks), then the hidden one dies.
    for (const name of ["visible", "hidden"] as const) {
      expect(await runDurableObjectAlarm(stateStub(servers[name].id))).toBe(true);
    }
    await adminLive.next(isHealth(servers.visible.id, "healthy"));
    await adminLive.next(isHealth(servers.hidden.id, "healthy"));
    await viewerLive.next(isHealth(servers.visible.id, "healthy"));

    await fault(servers.hidden.replica, "kill");
    expect(await runDurableObjectAlarm(stateStub(servers.hidden.id))).toBe(true);
    const event = (await adminLive.next(isHealth(servers.hidden.id, "unhealthy"))) as HealthEvent;
    expect(event).toMatchObject({ path: servers.hidden.path, previous: "healthy" });

    // The hub leaves memory; the sockets stay open and keep receiving.
    const hub = env.HEALTH_HUB.get(env.HEALTH_HUB.idFromName(healthHubName(tenant)));
    await evictDurableObject(hub);
    // The next event wakes a fresh instance, which finds the sockets and their principals again.
    await fault(servers.visible.replica, "kill");
    expect(await runDurableObjectAlarm(stateStub(servers.visible.id))).toBe(true);
    await viewerLive.next(isHealth(servers.visible.id, "unhealthy"));
    await adminLive.next(isHealth(servers.visible.id, "unhealthy"));
    expect(await hub.connections()).toBe(2);

    // The viewer never heard of the hidden server.
    expect(viewerLive.messages.some((m) => (m as HealthEvent).serverId === servers.hidden.id)).toBe(false);

    // Ping is answered while hibernating, and a snapshot can be asked for again.
    await evictDurableObject(hub);
    const pong = new Promise<string>((resolve) => {
      viewerLive.socket.addEventListener("message", (e) => {
        if (e.data === "pong") resolve("pong");
      });
    });
    viewerLive.socket.send("ping");
    expect(await pong).toBe("pong");

    for (const live of [adminLive, viewerLive]) live.socket.close(1000, "bye");
    await fault(servers.hidden.replica, "restart");
    await fault(servers.visible.replica, "restart");
  });
});
