// The behaviour every RegistryStore adapter must have. Each adapter's test
// file calls `describeRegistryStoreContract` with a factory for a fresh store;
// nothing here knows which backend it is talking to.
import { beforeEach, describe, expect, it } from "vitest";
import {
  type CatalogEntry,
  DuplicatePathError,
  InvalidCursorError,
  type RegistryStore,
  type ServerRecord,
} from "../../worker/store/registry-store.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function sampleServer(overrides: Partial<ServerRecord> = {}): ServerRecord {
  const timestamp = new Date("2026-11-21T10:00:00.000Z").toISOString();
  return {
    id: crypto.randomUUID(),
    tenant: "tenant-a",
    name: "Sample",
    path: unique("sample"),
    description: "A sample server for weather lookups",
    tags: ["weather", "demo"],
    endpoints: [{ url: "https://upstream.example/mcp", transport: "streamable-http", weight: 1 }],
    timeoutMs: 30_000,
    egress: { type: "api_key", secret: "SAMPLE_KEY", in: "header", name: "x-api-key" },
    license: "MIT",
    version: "1.2.3",
    metadata: { team: "platform", nested: { a: [1, 2] } },
    enabled: true,
    visibility: "public",
    groups: ["platform"],
    owner: "alice",
    source: "local",
    lifecycle: "active",
    catalog: {
      status: "ok",
      error: null,
      checkedAt: timestamp,
      serverInfo: { name: "sample", version: "1.0.0" },
      protocolVersion: "2025-11-25",
      counts: { tools: 2, resources: 1, resourceTemplates: 0, prompts: 0 },
      warnings: [],
    },
    loadBalancing: { strategy: "consistent-hash", hashOn: "session" },
    circuitBreaker: { failureThreshold: 3, cooldownMs: 10_000 },
    healthCheck: { intervalSeconds: 15 },
    rateLimit: { requests: 100, windowSeconds: 60 },
    auditArguments: "none",
    health: {
      status: "degraded",
      latencyMs: 42,
      checkedAt: timestamp,
      changedAt: timestamp,
      error: null,
      replicas: [
        { url: "https://upstream.example/mcp", status: "up", latencyMs: 42, error: null, circuit: "closed" },
      ],
    },
    createdAt: timestamp,
    registryName: null,
    registryDetails: null,
    provenance: null,
    updatedAt: timestamp,
    ...overrides,
  };
}

export function sampleTool(name: string, description = `The ${name} tool`): CatalogEntry {
  return {
    kind: "tool",
    key: name,
    definition: { name, description, inputSchema: { type: "object", properties: { q: { type: "string" } } } },
    fingerprint: `fp-${name}-${description.length}`,
  };
}

export function describeRegistryStoreContract(adapter: string, makeStore: () => Promise<RegistryStore>) {
  describe(`RegistryStore contract: ${adapter}`, () => {
    let store: RegistryStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    const resource: CatalogEntry = {
      kind: "resource",
      key: "file:///readme",
      definition: { uri: "file:///readme", name: "readme", mimeType: "text/plain" },
      fingerprint: "fp-readme",
    };

    it("stores a server and returns it field for field", async () => {
      const server = sampleServer();
      await store.insertServer(server, [sampleTool("lookup"), resource]);
      expect(await store.getServer(server.tenant, server.id)).toEqual(server);
      expect(await store.getServerByPath(server.path)).toEqual(server);
    });

    it("hides a server from other tenants", async () => {
      const server = sampleServer();
      await store.insertServer(server, [sampleTool("lookup")]);
      expect(await store.getServer("tenant-b", server.id)).toBeNull();
      expect(await store.listCatalog("tenant-b", server.id)).toEqual([]);
      expect((await store.toolSummaries("tenant-b", [server.id])).get(server.id)).toEqual([]);
      expect(await store.deleteServer("tenant-b", server.id)).toBe(false);
      expect(await store.getServer(server.tenant, server.id)).not.toBeNull();
    });

    it("refuses a duplicate path and writes nothing of the second server", async () => {
      const first = sampleServer();
      await store.insertServer(first, [sampleTool("one")]);
      const second = sampleServer({ path: first.path, tenant: "tenant-b", name: "Second" });
      await expect(store.insertServer(second, [sampleTool("two")])).rejects.toBeInstanceOf(
        DuplicatePathError,
      );
      expect(await store.getServer("tenant-b", second.id)).toBeNull();
      expect(await store.listCatalog("tenant-b", second.id)).toEqual([]);
      expect(await store.getServerByPath(first.path)).toEqual(first);
    });

    it("keeps catalog entries in the server's order and filters by kind", async () => {
      const server = sampleServer();
      const tools = ["zeta", "alpha", "mid"].map((name) => sampleTool(name));
      await store.insertServer(server, [...tools, resource]);
      expect(await store.listCatalog(server.tenant, server.id, "tool")).toEqual(tools);
      expect(await store.listCatalog(server.tenant, server.id, "resource")).toEqual([resource]);
      expect(await store.listCatalog(server.tenant, server.id)).toHaveLength(4);
    });

    it("stores large catalogs whole", async () => {
      const server = sampleServer();
      const tools = Array.from({ length: 250 }, (_, i) =>
        sampleTool(`tool_${i.toString().padStart(3, "0")}`),
      );
      await store.insertServer(server, tools);
      const stored = await store.listCatalog(server.tenant, server.id, "tool");
      expect(stored.map((entry) => entry.key)).toEqual(tools.map((entry) => entry.key));
    });

    it("summarises tools of several servers at once", async () => {
      const a = sampleServer();
      const b = sampleServer();
      await store.insertServer(a, [sampleTool("a1"), sampleTool("a2"), resource]);
      await store.insertServer(b, []);
      const summaries = await store.toolSummaries(a.tenant, [a.id, b.id, "missing"]);
      expect(summaries.get(a.id)).toEqual([
        { name: "a1", title: null, description: "The a1 tool" },
        { name: "a2", title: null, description: "The a2 tool" },
      ]);
      expect(summaries.get(b.id)).toEqual([]);
      expect(summaries.get("missing")).toEqual([]);
    });

    describe("listing", () => {
      let tenant: string;
      let made: ServerRecord[];
      beforeEach(async () => {
        tenant = unique("list-tenant");
        const prefix = unique("p");
        made = [
          sampleServer({ tenant, path: `${prefix}-e`, name: "Echo", tags: ["util"], enabled: false }),
          sampleServer({
            tenant,
            path: `${prefix}-a`,
            name: "GitHub",
            description: "Repos and issues",
            tags: ["dev"],
          }),
          sampleServer({
            tenant,
            path: `${prefix}-c`,
            name: "Clock",
            description: "Current TIME",
            tags: ["util"],
          }),
          sampleServer({ tenant, path: `${prefix}-b`, name: "Billing", tags: ["finance", "dev"] }),
          sampleServer({ tenant, path: `${prefix}-d`, name: "Docs", tags: [] }),
        ];
        for (const server of made) await store.insertServer(server, []);
        await store.insertServer(sampleServer({ tenant: "someone-else" }), []);
      });
      const paths = (servers: ServerRecord[]) => servers.map((server) => server.path);
      const sortedPaths = () => paths(made).sort();

      it("orders by path and walks every page exactly once", async () => {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.listServers(tenant, { limit: 2, ...(cursor ? { cursor } : {}) });
          seen.push(...paths(page.items));
          cursor = page.nextCursor ?? undefined;
          pages += 1;
        } while (cursor);
        expect(seen).toEqual(sortedPaths());
        expect(pages).toBe(3);
      });

      it("ends with a null cursor when the last page is exactly full", async () => {
        const page = await store.listServers(tenant, { limit: 5 });
        expect(paths(page.items)).toEqual(sortedPaths());
        expect(page.nextCursor).toBeNull();
      });

      it("filters by enabled, tag, text and path", async () => {
        const byEnabled = await store.listServers(tenant, { limit: 50, enabled: false });
        expect(byEnabled.items.map((s) => s.name)).toEqual(["Echo"]);
        const byTag = await store.listServers(tenant, { limit: 50, tag: "dev" });
        expect(byTag.items.map((s) => s.name)).toEqual(["GitHub", "Billing"]);
        const byText = await store.listServers(tenant, { limit: 50, text: "time" });
        expect(byText.items.map((s) => s.name)).toEqual(["Clock"]);
        const target = made[2];
        const byPath = await store.listServers(tenant, { limit: 50, path: target?.path ?? "" });
        expect(byPath.items).toEqual([target]);
        const none = await store.listServers(tenant, { limit: 50, tag: "de" });
        expect(none.items).toEqual([]);
      });

      it("treats filter text literally", async () => {
        const wildcard = await store.listServers(tenant, { limit: 50, text: "%" });
        expect(wildcard.items).toEqual([]);
      });

      it("rejects a cursor it did not make", async () => {
        await expect(store.listServers(tenant, { limit: 2, cursor: "not-a-cursor!" })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      });
    });

    describe("updating", () => {
      it("replaces the record and keeps the catalog when none is given", async () => {
        const server = sampleServer();
        await store.insertServer(server, [sampleTool("keep")]);
        const changed: ServerRecord = {
          ...server,
          name: "Renamed",
          tags: ["x"],
          enabled: false,
          egress: null,
          updatedAt: new Date("2026-11-22T00:00:00.000Z").toISOString(),
        };
        expect(await store.updateServer(changed)).toBe(true);
        expect(await store.getServer(server.tenant, server.id)).toEqual(changed);
        expect((await store.listCatalog(server.tenant, server.id)).map((e) => e.key)).toEqual(["keep"]);
      });

      it("replaces the catalog atomically when one is given", async () => {
        const server = sampleServer();
        await store.insertServer(server, [sampleTool("old"), resource]);
        const next = {
          ...server,
          catalog: { ...server.catalog, counts: { ...server.catalog.counts, tools: 1 } },
        };
        expect(await store.updateServer(next, [sampleTool("new")])).toBe(true);
        expect(await store.listCatalog(server.tenant, server.id)).toEqual([sampleTool("new")]);
        expect((await store.getServer(server.tenant, server.id))?.catalog.counts.tools).toBe(1);
      });

      it("reports a missing server without creating it", async () => {
        const ghost = sampleServer();
        expect(await store.updateServer(ghost, [sampleTool("x")])).toBe(false);
        expect(await store.getServer(ghost.tenant, ghost.id)).toBeNull();
      });

      it("replaces only the catalog state and entries with updateCatalog", async () => {
        const server = sampleServer();
        await store.insertServer(server, [sampleTool("old"), resource]);
        // A concurrent edit of the record must survive a catalog refresh.
        const renamed = { ...server, name: "Renamed meanwhile" };
        await store.updateServer(renamed);
        const state = {
          ...server.catalog,
          status: "unreachable" as const,
          error: "down",
          checkedAt: "2026-11-23T00:00:00.000Z",
        };
        expect(await store.updateCatalog(server.tenant, server.id, state)).toBe(true);
        expect(await store.getServer(server.tenant, server.id)).toEqual({ ...renamed, catalog: state });
        expect((await store.listCatalog(server.tenant, server.id)).map((e) => e.key)).toEqual([
          "file:///readme",
          "old",
        ]);

        const fresh = {
          ...server.catalog,
          status: "ok" as const,
          counts: { ...server.catalog.counts, tools: 1 },
        };
        expect(await store.updateCatalog(server.tenant, server.id, fresh, [sampleTool("new")])).toBe(true);
        expect(await store.listCatalog(server.tenant, server.id)).toEqual([sampleTool("new")]);
        expect((await store.getServer(server.tenant, server.id))?.catalog).toEqual(fresh);
      });

      it("records health alone, and updateServer never overwrites it", async () => {
        const server = sampleServer();
        await store.insertServer(server, []);
        const health = {
          status: "unhealthy" as const,
          latencyMs: null,
          checkedAt: "2026-11-23T00:00:00.000Z",
          changedAt: "2026-11-23T00:00:00.000Z",
          error: "connection refused",
          replicas: [
            {
              url: "https://upstream.example/mcp",
              status: "down" as const,
              latencyMs: null,
              error: "connection refused",
              circuit: "open" as const,
            },
          ],
        };
        expect(await store.updateHealth(server.tenant, server.id, health)).toBe(true);
        expect(await store.getServer(server.tenant, server.id)).toEqual({ ...server, health });
        // A record read before the health report is saved: its stale health is ignored.
        expect(await store.updateServer({ ...server, name: "Stale write" })).toBe(true);
        expect(await store.getServer(server.tenant, server.id)).toEqual({
          ...server,
          name: "Stale write",
          health,
        });
      });

      it("scopes updateCatalog and updateHealth to the tenant and reports a missing server", async () => {
        const server = sampleServer();
        await store.insertServer(server, [sampleTool("mine")]);
        expect(await store.updateCatalog("tenant-b", server.id, server.catalog, [])).toBe(false);
        expect(await store.updateHealth("tenant-b", server.id, server.health)).toBe(false);
        expect(await store.listCatalog(server.tenant, server.id)).toHaveLength(1);
        const ghost = sampleServer();
        expect(await store.updateCatalog(ghost.tenant, ghost.id, ghost.catalog, [sampleTool("x")])).toBe(
          false,
        );
        expect(await store.updateHealth(ghost.tenant, ghost.id, ghost.health)).toBe(false);
        expect(await store.getServer(ghost.tenant, ghost.id)).toBeNull();
      });

      it("refuses to move onto a taken path and changes nothing", async () => {
        const a = sampleServer();
        const b = sampleServer();
        await store.insertServer(a, []);
        await store.insertServer(b, [sampleTool("b-tool")]);
        await expect(store.updateServer({ ...b, path: a.path, name: "Moved" }, [])).rejects.toBeInstanceOf(
          DuplicatePathError,
        );
        expect(await store.getServer(b.tenant, b.id)).toEqual(b);
        expect((await store.listCatalog(b.tenant, b.id)).map((e) => e.key)).toEqual(["b-tool"]);
      });
    });

    it("deletes a server with its catalog, once", async () => {
      const server = sampleServer();
      await store.insertServer(server, [sampleTool("gone")]);
      expect(await store.deleteServer(server.tenant, server.id)).toBe(true);
      expect(await store.getServer(server.tenant, server.id)).toBeNull();
      expect(await store.listCatalog(server.tenant, server.id)).toEqual([]);
      expect(await store.deleteServer(server.tenant, server.id)).toBe(false);
      // The path is free again.
      await store.insertServer(sampleServer({ path: server.path }), []);
    });

    it("lists only what a viewer may see: public, own, or a shared group; admins everything", async () => {
      const tenant = unique("visibility");
      const make = (name: string, visibility: ServerRecord["visibility"], owner: string, groups: string[]) =>
        sampleServer({ tenant, path: unique(name), visibility, owner, groups });
      const open = make("a-public", "public", "alice", []);
      const secret = make("b-private", "private", "alice", []);
      const team = make("c-group", "group", "alice", ["team-x"]);
      const bobs = make("d-private", "private", "bob", []);
      for (const server of [open, secret, team, bobs]) await store.insertServer(server, []);
      const paths = async (viewer: { subject: string; groups: string[]; seesEverything: boolean }) =>
        (await store.listServers(tenant, { limit: 10, viewer })).items.map((server) => server.path);
      expect(await paths({ subject: "bob", groups: [], seesEverything: false })).toEqual([
        open.path,
        bobs.path,
      ]);
      expect(await paths({ subject: "carol", groups: ["team-x"], seesEverything: false })).toEqual([
        open.path,
        team.path,
      ]);
      expect(await paths({ subject: "alice", groups: [], seesEverything: false })).toEqual([
        open.path,
        secret.path,
        team.path,
      ]);
      expect(await paths({ subject: "root", groups: [], seesEverything: true })).toHaveLength(4);
    });
  });
}
