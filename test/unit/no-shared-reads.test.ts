// Isolate caches keep only finished reads: under workerd, a request that
// awaits a read another request started resumes in that request's I/O
// context ("Cannot perform I/O on behalf of a different request"). So
// concurrent misses each read, later callers get the kept value, and waiters
// for one-at-a-time work poll on their own timers (platform/wait-while.ts).
import { describe, expect, it } from "vitest";
import { waitWhile } from "../../worker/platform/wait-while.ts";
import { type StoredServer, TenantCatalogs } from "../../worker/registry/tenant-catalogs.ts";

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe("TenantCatalogs", () => {
  it("lets concurrent misses each read, then serves the finished copy until its TTL", async () => {
    let now = 0;
    const catalogs = new TenantCatalogs(2_000, () => now);
    const started: Promise<StoredServer[]>[] = [];
    const first = gate();
    const read = () => {
      const servers = first.opened.then(() => [] as StoredServer[]);
      started.push(servers);
      return servers;
    };
    const a = catalogs.load("t", read);
    const b = catalogs.load("t", read);
    // The second caller started its own read rather than awaiting the first one's.
    expect(started).toHaveLength(2);
    expect(catalogs.size).toBe(0);
    first.open();
    await Promise.all([a, b]);
    expect(catalogs.size).toBe(1);
    await catalogs.load("t", read);
    expect(started).toHaveLength(2);
    now = 2_000;
    await catalogs.load("t", read);
    expect(started).toHaveLength(3);
  });

  it("does not keep a failed read, nor serve a copy read before a registry write", async () => {
    const catalogs = new TenantCatalogs(60_000, () => 0);
    let reads = 0;
    const read = async () => {
      reads += 1;
      return [] as StoredServer[];
    };
    await expect(catalogs.load("t", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(catalogs.size).toBe(0);
    await catalogs.load("t", read);
    await catalogs.load("t", read);
    expect(reads).toBe(1);
    await catalogs.serverSaved();
    // A write lands while a read is under way: that read's copy is void at once.
    const slow = gate();
    const during = catalogs.load("t", async () => {
      reads += 1;
      await slow.opened;
      return [] as StoredServer[];
    });
    await catalogs.serverSaved();
    slow.open();
    await during;
    expect(reads).toBe(2);
    await catalogs.load("t", read);
    expect(reads).toBe(3);
    await catalogs.load("t", read);
    expect(reads).toBe(3);
  });
});

describe("waitWhile", () => {
  it("returns once the flag clears, or at the limit", async () => {
    let busy = true;
    setTimeout(() => {
      busy = false;
    }, 30);
    await waitWhile(() => busy, 5_000, 5);
    expect(busy).toBe(false);
    await waitWhile(() => true, 20, 5);
  });
});
