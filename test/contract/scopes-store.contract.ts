// The behaviour every ScopesStore adapter must have. Each adapter's test file
// calls `describeScopesStoreContract` with a factory for a fresh store.
import { beforeEach, describe, expect, it } from "vitest";
import type { ScopesStore, ScopesWrite } from "../../worker/store/scopes-store.ts";

let counter = 0;
const uniqueTenant = () => `tenant-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function write(marker: string, updatedBy = "alice"): ScopesWrite {
  return {
    document: { group_mappings: { [marker]: ["scope-a"] }, nested: { list: [1, "two", { three: true }] } },
    updatedAt: new Date(Date.UTC(2026, 10, 21, 10, 0, counter++)).toISOString(),
    updatedBy,
  };
}

export function describeScopesStoreContract(adapter: string, makeStore: () => Promise<ScopesStore>) {
  describe(`ScopesStore contract: ${adapter}`, () => {
    let store: ScopesStore;
    let tenant: string;
    beforeEach(async () => {
      store = await makeStore();
      tenant = uniqueTenant();
    });

    it("has nothing for a tenant that never stored a document", async () => {
      expect(await store.get(tenant)).toBeNull();
      expect(await store.stamp(tenant)).toBeNull();
    });

    it("stores a first document as revision 1 and returns it field for field", async () => {
      const first = write("first", "system:default");
      const stored = await store.insertIfAbsent(tenant, first);
      expect(stored).toEqual({ tenant, revision: 1, ...first });
      expect(await store.get(tenant)).toEqual(stored);
      expect(await store.stamp(tenant)).toEqual({ revision: 1, updatedAt: first.updatedAt });
    });

    it("keeps the existing document when inserting again", async () => {
      const first = await store.insertIfAbsent(tenant, write("first"));
      const again = await store.insertIfAbsent(tenant, write("second"));
      expect(again).toEqual(first);
    });

    it("replaces the document whole and increases the revision by one", async () => {
      await store.insertIfAbsent(tenant, write("first"));
      const next = write("second", "bob");
      const replaced = await store.replace(tenant, next);
      expect(replaced).toEqual({ tenant, revision: 2, ...next });
      expect(await store.get(tenant)).toEqual(replaced);
      expect((await store.replace(tenant, write("third")))?.revision).toBe(3);
    });

    it("creates revision 1 when replacing for a tenant with no document", async () => {
      const replaced = await store.replace(tenant, write("first"));
      expect(replaced?.revision).toBe(1);
    });

    it("replaces only from the expected revision", async () => {
      await store.insertIfAbsent(tenant, write("first"));
      expect(await store.replace(tenant, write("stale"), 7)).toBeNull();
      expect(await store.replace(tenant, write("absent-only"), 0)).toBeNull();
      expect((await store.get(tenant))?.revision).toBe(1);
      expect((await store.get(tenant))?.document).toEqual(write("first").document);

      const replaced = await store.replace(tenant, write("current"), 1);
      expect(replaced?.revision).toBe(2);
      expect(await store.replace(tenant, write("late"), 1)).toBeNull();
    });

    it("stores with expected revision 0 only when nothing is stored", async () => {
      expect((await store.replace(tenant, write("first"), 0))?.revision).toBe(1);
    });

    it("gives concurrent replacements distinct revisions", async () => {
      await store.insertIfAbsent(tenant, write("first"));
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => store.replace(tenant, write(`w${n}`))));
      const revisions = results.map((result) => result?.revision).sort();
      expect(revisions).toEqual([2, 3, 4, 5, 6]);
      expect((await store.stamp(tenant))?.revision).toBe(6);
    });

    it("keeps tenants apart", async () => {
      const other = uniqueTenant();
      await store.insertIfAbsent(tenant, write("mine"));
      await store.replace(tenant, write("mine-2"));
      expect(await store.get(other)).toBeNull();
      expect((await store.insertIfAbsent(other, write("theirs"))).revision).toBe(1);
      expect((await store.get(tenant))?.revision).toBe(2);
    });
  });
}
