// The behaviour every VirtualServerStore adapter must have. Each adapter's
// test file calls `describeVirtualServerStoreContract` with a factory.
import { describe, expect, it } from "vitest";
import {
  DuplicateVirtualServerError,
  type VirtualServerRecord,
  type VirtualServerStore,
} from "../../worker/store/virtual-server-store.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function sampleVirtualServer(overrides: Partial<VirtualServerRecord> = {}): VirtualServerRecord {
  return {
    id: crypto.randomUUID(),
    tenant: "tenant-a",
    name: unique("vs"),
    description: "curated tools",
    mode: "tools",
    tools: [
      { server: "github", tool: "create_issue" },
      { server: "jira", tool: "create_issue", name: "jira_create_issue", description: "File in Jira" },
    ],
    resources: [{ server: "docs", uri: "file:///readme.md" }],
    prompts: [{ server: "docs", prompt: "summarize", name: "docs_summarize" }],
    enabled: true,
    owner: "alice",
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    ...overrides,
  };
}

export function describeVirtualServerStoreContract(
  adapter: string,
  makeStore: () => Promise<VirtualServerStore>,
) {
  describe(`VirtualServerStore contract: ${adapter}`, () => {
    it("stores a virtual server and reads it back exactly, by id and by name", async () => {
      const store = await makeStore();
      const record = sampleVirtualServer();
      await store.insertVirtualServer(record);
      expect(await store.getVirtualServer(record.tenant, record.id)).toEqual(record);
      expect(await store.getVirtualServerByName(record.name)).toEqual(record);
    });

    it("scopes reads by tenant", async () => {
      const store = await makeStore();
      const record = sampleVirtualServer();
      await store.insertVirtualServer(record);
      expect(await store.getVirtualServer("tenant-b", record.id)).toBeNull();
      expect(await store.getVirtualServer(record.tenant, crypto.randomUUID())).toBeNull();
      expect((await store.listVirtualServers("tenant-b", 100)).map((item) => item.id)).not.toContain(
        record.id,
      );
    });

    it("refuses a taken name, across tenants, and keeps the first record", async () => {
      const store = await makeStore();
      const first = sampleVirtualServer();
      await store.insertVirtualServer(first);
      const second = sampleVirtualServer({ name: first.name, tenant: "tenant-b" });
      await expect(store.insertVirtualServer(second)).rejects.toBeInstanceOf(DuplicateVirtualServerError);
      expect(await store.getVirtualServerByName(first.name)).toEqual(first);
      expect(await store.getVirtualServer("tenant-b", second.id)).toBeNull();
    });

    it("lists a tenant's virtual servers by name, up to the limit", async () => {
      const store = await makeStore();
      const tenant = unique("tenant");
      const names = ["b-two", "a-one", "c-three"].map((name) => `${name}-${unique("x")}`);
      for (const name of names) await store.insertVirtualServer(sampleVirtualServer({ tenant, name }));
      const all = await store.listVirtualServers(tenant, 100);
      expect(all.map((item) => item.name)).toEqual([...names].sort());
      expect(await store.listVirtualServers(tenant, 2)).toHaveLength(2);
    });

    it("updates the given fields only, and refuses a taken name without changing anything", async () => {
      const store = await makeStore();
      const record = sampleVirtualServer();
      const other = sampleVirtualServer();
      await store.insertVirtualServer(record);
      await store.insertVirtualServer(other);
      const updated = await store.updateVirtualServer(record.tenant, record.id, {
        description: "changed",
        mode: "discovery",
        tools: [{ server: "github", tool: "list_issues" }],
        enabled: false,
        updatedAt: "2026-12-02T10:00:00.000Z",
      });
      expect(updated).toEqual({
        ...record,
        description: "changed",
        mode: "discovery",
        tools: [{ server: "github", tool: "list_issues" }],
        enabled: false,
        updatedAt: "2026-12-02T10:00:00.000Z",
      });
      await expect(
        store.updateVirtualServer(record.tenant, record.id, {
          name: other.name,
          description: "lost",
          updatedAt: "2026-12-03T10:00:00.000Z",
        }),
      ).rejects.toBeInstanceOf(DuplicateVirtualServerError);
      expect(await store.getVirtualServer(record.tenant, record.id)).toEqual(updated);
      expect(
        await store.updateVirtualServer("tenant-b", record.id, {
          description: "x",
          updatedAt: record.updatedAt,
        }),
      ).toBeNull();
    });

    it("deletes only within the tenant", async () => {
      const store = await makeStore();
      const record = sampleVirtualServer();
      await store.insertVirtualServer(record);
      expect(await store.deleteVirtualServer("tenant-b", record.id)).toBe(false);
      expect(await store.deleteVirtualServer(record.tenant, record.id)).toBe(true);
      expect(await store.getVirtualServer(record.tenant, record.id)).toBeNull();
      expect(await store.getVirtualServerByName(record.name)).toBeNull();
      expect(await store.deleteVirtualServer(record.tenant, record.id)).toBe(false);
    });
  });
}
