import { describe, expect, it } from "vitest";
import { ServerDirectory } from "../../worker/registry/server-directory.ts";
import type { RegistryStore, ServerRecord } from "../../worker/store/registry-store.ts";
import { sampleServer } from "../contract/registry-store.contract.ts";

function countingStore(servers: ServerRecord[]) {
  const calls: string[] = [];
  const store = {
    getServerByPath: async (path: string) => {
      calls.push(path);
      return servers.find((server) => server.path === path) ?? null;
    },
  } as unknown as RegistryStore;
  return { store, calls };
}

describe("ServerDirectory", () => {
  it("answers repeated lookups (hits and misses) from the isolate until they expire", async () => {
    const server = sampleServer({ path: "alpha" });
    const { store, calls } = countingStore([server]);
    let now = 0;
    const directory = new ServerDirectory(store, 1_000, () => now);
    expect(await directory.byPath("alpha")).toEqual(server);
    expect(await directory.byPath("alpha")).toEqual(server);
    expect(await directory.byPath("missing")).toBeNull();
    expect(await directory.byPath("missing")).toBeNull();
    expect(calls).toEqual(["alpha", "missing"]);
    now = 1_001;
    await directory.byPath("alpha");
    expect(calls).toEqual(["alpha", "missing", "alpha"]);
  });

  it("forgets everything when this isolate changes the registry", async () => {
    const { store, calls } = countingStore([sampleServer({ path: "alpha" })]);
    const directory = new ServerDirectory(store, 60_000, () => 0);
    await directory.byPath("alpha");
    await directory.serverSaved();
    await directory.byPath("alpha");
    await directory.serverDeleted();
    await directory.byPath("alpha");
    expect(calls).toEqual(["alpha", "alpha", "alpha"]);
  });
});
