// The ServerState Durable Object against real replicas: health follows reality
// within one interval (alarms run deterministically with runDurableObjectAlarm),
// health shows on the REST API, catalog refreshes record what changed by
// fingerprint, manual refresh checks health too, and state survives eviction.
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SERVER_STATE_STORAGE, type ServerState } from "../../durable-objects/server-state.ts";
import { serverStateName } from "../../worker/platform/durable-objects.ts";
import type { ServerStateView } from "../../worker/resilience/state-types.ts";
import type { HealthSummary, ServerRecord } from "../../worker/store/registry-store.ts";
import { api } from "../support/api.ts";
import { fault, newReplica, registerOn, setTools } from "../support/fleet.ts";

function stub(server: ServerRecord) {
  return env.SERVER_STATE.get(env.SERVER_STATE.idFromName(serverStateName(server.id)));
}

/** Runs the object's next scheduled health check now. */
async function tick(server: ServerRecord): Promise<void> {
  expect(await runDurableObjectAlarm(stub(server))).toBe(true);
}

async function health(server: ServerRecord): Promise<HealthSummary> {
  const response = await api(`/api/v1/servers/${server.id}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { health: HealthSummary }).health;
}

async function state(server: ServerRecord): Promise<ServerStateView> {
  const response = await api(`/api/v1/servers/${server.id}/health`);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as ServerStateView;
}

describe("health checks on alarms", () => {
  it("starts checking on registration and follows reality within one interval", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica], { healthCheck: { intervalSeconds: 10 } });
    expect(server.health.status).toBe("unknown");
    // Registration scheduled the first check one interval ahead.
    const scheduled = await runInDurableObject(stub(server), (_instance, ctx) => ctx.storage.getAlarm());
    expect(scheduled).not.toBeNull();

    await tick(server);
    expect(await health(server)).toMatchObject({
      status: "healthy",
      replicas: [{ url: replica.url, status: "up", circuit: "closed" }],
    });

    await fault(replica, "kill");
    await tick(server);
    const down = await health(server);
    expect(down).toMatchObject({ status: "unhealthy", replicas: [{ status: "down", circuit: "open" }] });
    expect(down.error).toContain("connection failed");

    await fault(replica, "restart");
    await tick(server);
    expect(await health(server)).toMatchObject({
      status: "healthy",
      replicas: [{ status: "up", circuit: "half-open" }],
    });

    // The next check is one interval away.
    const next = await runInDurableObject(stub(server), (_instance, ctx) => ctx.storage.getAlarm());
    expect((next ?? 0) - Date.now()).toBeGreaterThan(8_000);
    expect((next ?? 0) - Date.now()).toBeLessThanOrEqual(10_000);
  });

  it("is degraded when one of two replicas is down or answers are slow, and unhealthy on timeouts", async () => {
    const [a, b] = [await newReplica(), await newReplica()];
    if (!a || !b) throw new Error("no replicas");
    const server = await registerOn([a, b], { healthCheck: { degradedLatencyMs: 100, timeoutMs: 500 } });
    await fault(b, "kill");
    await tick(server);
    expect(await health(server)).toMatchObject({
      status: "degraded",
      replicas: [
        { url: a.url, status: "up" },
        { url: b.url, status: "down" },
      ],
    });
    await fault(b, "restart");
    // Each answer 60 ms late: initialize, initialized and ping take at least 180 ms.
    await fault(a, "slow", { delayMs: 60 });
    await fault(b, "slow", { delayMs: 60 });
    await tick(server);
    const slow = await health(server);
    expect(slow.status).toBe("degraded");
    expect(slow.latencyMs).toBeGreaterThanOrEqual(100);
    await fault(a, "hang");
    await fault(b, "hang");
    await tick(server);
    const hung = await health(server);
    expect(hung.status).toBe("unhealthy");
    expect(hung.error).toContain("timed out after 500 ms");
    await fault(a, "ok");
    await fault(b, "ok");
  });

  it("keeps a bounded history, newest first, and shows it with circuits on /health", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    await tick(server);
    await fault(replica, "kill");
    await tick(server);
    const view = await state(server);
    expect(view.history.map((entry) => entry.status)).toEqual(["unhealthy", "healthy"]);
    expect(view.history[0]).toMatchObject({
      trigger: "schedule",
      replicas: [{ url: replica.url, ok: false }],
    });
    expect(view.circuits).toEqual([expect.objectContaining({ url: replica.url, phase: "open" })]);
    expect(view.nextCheckAt).not.toBeNull();
    await fault(replica, "restart");

    // Bounded: at most HISTORY_LIMIT (100) entries.
    for (let i = 0; i < 105; i++) await tick(server);
    expect((await state(server)).history).toHaveLength(100);
  });

  it("lists health on GET /api/v1/servers", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    await tick(server);
    const response = await api(`/api/v1/servers?path=${server.path}`);
    const page = (await response.json()) as { items: { id: string; health: HealthSummary }[] };
    expect(page.items).toEqual([
      expect.objectContaining({ id: server.id, health: expect.objectContaining({ status: "healthy" }) }),
    ]);
  });

  it("stops and forgets when the server is deleted", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    await tick(server);
    expect((await api(`/api/v1/servers/${server.id}`, { method: "DELETE" })).status).toBe(204);
    const left = await runInDurableObject(stub(server), async (_instance, ctx) => ({
      alarm: await ctx.storage.getAlarm(),
      ref: ctx.storage.kv.get(SERVER_STATE_STORAGE.ref),
    }));
    expect(left).toEqual({ alarm: null, ref: undefined });
  });
});

describe("catalog refresh", () => {
  const tool = (name: string, description: string) => ({
    name,
    description,
    inputSchema: { type: "object", properties: {} },
  });

  it("manual refresh checks health and records what changed, by fingerprint", async () => {
    const replica = await newReplica();
    await setTools(replica, [tool("keep", "Kept"), tool("edit", "Before"), tool("drop", "Dropped")]);
    const server = await registerOn([replica]);
    await setTools(replica, [tool("keep", "Kept"), tool("edit", "After"), tool("add", "Added")]);

    const refreshed = await api(`/api/v1/servers/${server.id}/refresh`, { method: "POST" });
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as { health: HealthSummary; tools: { name: string }[] };
    expect(body.health.status).toBe("healthy");
    expect(body.tools.map((t) => t.name)).toEqual(["keep", "edit", "add"]);

    const view = await state(server);
    expect(view.history[0]).toMatchObject({ trigger: "manual", status: "healthy" });
    expect(view.catalogChanges).toHaveLength(1);
    expect(view.catalogChanges[0]).toMatchObject({ trigger: "manual", status: "ok" });
    expect(view.catalogChanges[0]?.changes.map((c) => [c.key, c.change])).toEqual([
      ["add", "added"],
      ["drop", "removed"],
      ["edit", "changed"],
    ]);

    // Nothing changed: nothing recorded.
    await api(`/api/v1/servers/${server.id}/refresh`, { method: "POST" });
    expect((await state(server)).catalogChanges).toHaveLength(1);
  });

  it("re-reads the catalog on the alarm when due, and records an unreachable read", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    await setTools(replica, [tool("whoami", "Renamed description")]);
    await runInDurableObject(stub(server), (_instance, ctx) =>
      ctx.storage.kv.put(SERVER_STATE_STORAGE.nextCatalogAt, 0),
    );
    await tick(server);
    const view = await state(server);
    expect(view.catalogChanges[0]).toMatchObject({ trigger: "schedule", status: "ok" });
    expect(view.catalogChanges[0]?.changes.map((c) => [c.key, c.change])).toEqual([
      ["sleep", "removed"],
      ["whoami", "changed"],
    ]);
    const tools = (await (await api(`/api/v1/servers/${server.id}/tools`)).json()) as {
      items: { key: string }[];
    };
    expect(tools.items.map((item) => item.key)).toEqual(["whoami"]);

    await fault(replica, "kill");
    await runInDurableObject(stub(server), (_instance, ctx) =>
      ctx.storage.kv.put(SERVER_STATE_STORAGE.nextCatalogAt, 0),
    );
    await tick(server);
    const failed = (await state(server)).catalogChanges[0];
    expect(failed).toMatchObject({ trigger: "schedule", status: "unreachable", changes: [] });
    // The last known catalog stays.
    const kept = (await (await api(`/api/v1/servers/${server.id}/tools`)).json()) as { items: unknown[] };
    expect(kept.items).toHaveLength(1);
    await fault(replica, "restart");
  });
});

describe("durability", () => {
  it("keeps health, history and circuits when the object is evicted", async () => {
    const replica = await newReplica();
    const server = await registerOn([replica]);
    await tick(server);
    await fault(replica, "kill");
    await tick(server);
    const before = await state(server);
    await evictDurableObject(stub(server));
    const after = await state(server);
    expect(after).toEqual(before);
    // And the alarm chain continues after eviction.
    await fault(replica, "restart");
    await tick(server);
    expect((await state(server)).health.status).toBe("healthy");
    // The instance is new, the storage the same.
    await runInDurableObject(stub(server), (instance: ServerState) => {
      expect(instance).toBeDefined();
    });
  });
});
