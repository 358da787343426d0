// Federation sources inside workerd with real D1: the REST API (add, list,
// get, delete, sync), an unreachable source, the Cron Trigger through the
// Worker's scheduled() handler, and the read-only rule of imported servers.
// Imports from real registries over HTTP: test/e2e/federation.e2e.test.ts.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index.ts";
import { D1RegistryStore } from "../../worker/store/d1/d1-registry-store.ts";
import { sampleServer } from "../contract/registry-store.contract.ts";
import { api, BASE, fieldsOf, problemOf } from "../support/api.ts";
import { idpToken } from "../support/tokens.ts";

// Nothing listens on port 1: connections fail at once.
const UNREACHABLE = "http://127.0.0.1:1";

interface Source {
  id: string;
  name: string;
  lastSyncAt: string | null;
  lastSync: {
    status: string;
    error: string | null;
    trigger: string;
    counts: Record<string, number>;
    entries: unknown[];
  } | null;
}

async function addSource(body: Record<string, unknown>): Promise<Source> {
  const response = await api("/api/v1/federation/sources", { method: "POST", json: body });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as Source;
}

describe("federation sources", () => {
  it("adds, lists, gets and deletes sources; names are unique per tenant", async () => {
    const source = await addSource({ name: "Peer", url: `${UNREACHABLE}/` });
    expect(source).toMatchObject({ name: "Peer", mode: "all", syncIntervalMinutes: null, lastSync: null });
    const list = (await (await api("/api/v1/federation/sources")).json()) as { items: Source[] };
    expect(list.items.map((item) => item.id)).toContain(source.id);
    expect((await api(`/api/v1/federation/sources/${source.id}`)).status).toBe(200);

    const duplicate = await api("/api/v1/federation/sources", {
      method: "POST",
      json: { name: "Peer", url: UNREACHABLE },
    });
    expect(duplicate.status).toBe(409);
    expect(fieldsOf(await problemOf(duplicate))).toEqual(["name"]);

    expect((await api(`/api/v1/federation/sources/${source.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api(`/api/v1/federation/sources/${source.id}`)).status).toBe(404);
  });

  it("refuses bad input with 422 naming the field", async () => {
    for (const [body, field] of [
      [{ name: "x", url: "ftp://example.com" }, "url"],
      [{ name: "x", url: UNREACHABLE, mode: "selected" }, "servers"],
      [{ name: "x", url: UNREACHABLE, syncIntervalMinutes: 1 }, "syncIntervalMinutes"],
      [{ name: "x", url: UNREACHABLE, auth: { secret: "my token" } }, "auth.secret"],
      [{ name: "x", url: UNREACHABLE, servers: ["not a name"] }, "servers.0"],
    ] as const) {
      const response = await api("/api/v1/federation/sources", { method: "POST", json: body });
      expect(response.status).toBe(422);
      expect(fieldsOf(await problemOf(response))).toEqual([field]);
    }
  });

  it("needs manage_federation", async () => {
    const token = await idpToken({ claims: { sub: "finance-bot", groups: ["lob-finance-bot"] } });
    const response = await exports.default.fetch(`${BASE}/api/v1/federation/sources`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(403);
  });

  it("records an unreachable source's error and imports nothing", async () => {
    const before = ((await (await api("/api/v1/servers?limit=100")).json()) as { items: unknown[] }).items
      .length;
    const source = await addSource({ name: "Unreachable", url: UNREACHABLE });
    const response = await api(`/api/v1/federation/sources/${source.id}/sync`, { method: "POST" });
    expect(response.status).toBe(200);
    const synced = (await response.json()) as Source;
    expect(synced.lastSync).toMatchObject({ status: "failed", trigger: "manual", entries: [] });
    expect(synced.lastSync?.error).toMatch(/could not reach http:\/\/127\.0\.0\.1:1/);
    expect(synced.lastSync?.counts).toMatchObject({ seen: 0, imported: 0 });
    const after = ((await (await api("/api/v1/servers?limit=100")).json()) as { items: unknown[] }).items
      .length;
    expect(after).toBe(before);
  });

  it("syncs due sources from the Worker's scheduled() handler (Cron Trigger)", async () => {
    const due = await addSource({ name: "Scheduled", url: UNREACHABLE, syncIntervalMinutes: 5 });
    const manual = await addSource({ name: "Manual only", url: UNREACHABLE });
    const controller = createScheduledController({ cron: "*/5 * * * *", scheduledTime: Date.now() });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);

    const scheduled = (await (await api(`/api/v1/federation/sources/${due.id}`)).json()) as Source;
    expect(scheduled.lastSyncAt).not.toBeNull();
    expect(scheduled.lastSync).toMatchObject({ status: "failed", trigger: "scheduled" });
    const untouched = (await (await api(`/api/v1/federation/sources/${manual.id}`)).json()) as Source;
    expect(untouched.lastSync).toBeNull();

    // Not due again until its interval has passed.
    const ctx2 = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env, ctx2);
    await waitOnExecutionContext(ctx2);
    const again = (await (await api(`/api/v1/federation/sources/${due.id}`)).json()) as Source;
    expect(again.lastSyncAt).toBe(scheduled.lastSyncAt);
  });

  it("keeps imported servers read-only except enablement, tags, visibility and access", async () => {
    const store = new D1RegistryStore(env.DB);
    const imported = sampleServer({
      tenant: "default",
      source: "federated",
      registryName: "com.example/imported",
      provenance: {
        sourceId: "source-1",
        sourceName: "Upstream",
        sourceUrl: "https://registry.example",
        upstreamName: "com.example/imported",
        upstreamVersion: "1.2.3",
        origin: "com.example",
        upstreamDigest: "0".repeat(64),
        lastSyncedAt: "2026-11-21T10:00:00.000Z",
      },
    });
    await store.insertServer(imported, []);

    const refused = await api(`/api/v1/servers/${imported.id}`, {
      method: "PATCH",
      json: { description: "changed here", tags: ["ok"] },
    });
    expect(refused.status).toBe(422);
    expect(fieldsOf(await problemOf(refused))).toEqual(["description"]);

    const allowed = await api(`/api/v1/servers/${imported.id}`, {
      method: "PATCH",
      json: { tags: ["mine"], visibility: "private", enabled: false },
    });
    expect(allowed.status, await allowed.clone().text()).toBe(200);
    const body = (await allowed.json()) as { tags: string[]; provenance: { sourceName: string } };
    expect(body.tags).toEqual(["mine"]);
    expect(body.provenance.sourceName).toBe("Upstream");
  });
});
