// 2026-07-28 caching (aggregated/result-cache.ts) retired by list_changed
// (issue 11, item 6): a cacheable resources/read is served from the cache
// until the upstream says its list changed. A real 2026-07-28 upstream on
// loopback (test/support/cache-hints-upstream.ts) puts `ttlMs` 60000 and
// `cacheScope` "public" on its reads, counts every read it serves, and
// sends notifications/resources/list_changed on its `subscriptions/listen`
// stream shortly after acknowledging it. A real SDK v2 client listens
// through a virtual server; once it has heard the change, the next read
// goes upstream again (the TTL is far from over, no catalog refresh). The
// reads are raw HTTP: the SDK v2 client honours `ttlMs` in a cache of its own.
import { beforeAll, describe, expect, inject, it } from "vitest";
import { api, devAdminToken, uniquePath } from "../support/api.ts";
import { modernClient, readResource2026 } from "../support/gateway-clients.ts";

const upstreams = inject("upstreams");
const PUBLIC = "probe://cached/public";

let adminToken: string;
let name = "";

async function reads(uri: string): Promise<number> {
  const stats = (await (await fetch(`${upstreams.probeUrl}/cache/stats`)).json()) as {
    reads: Record<string, number>;
  };
  return stats.reads[uri] ?? 0;
}

beforeAll(async () => {
  adminToken = await devAdminToken();
  const path = uniquePath("cachelc");
  name = uniquePath("vcachelc");
  const registered = await api("/api/v1/servers", {
    method: "POST",
    json: { name: path, path, endpoints: [{ url: `${upstreams.probeUrl}/cache/mcp` }] },
  });
  expect(registered.status, await registered.clone().text()).toBe(201);
  const created = await api("/api/v1/virtual-servers", {
    method: "POST",
    json: { name, resources: [{ server: path, uri: PUBLIC }] },
  });
  expect(created.status, await created.clone().text()).toBe(201);
});

describe("2026-07-28 result caching and list_changed", () => {
  it("a list_changed from the upstream retires its cached results", async () => {
    const endpoint = `/v/${name}/mcp`;
    const text = async () => (await readResource2026(endpoint, PUBLIC, adminToken)).text;
    const first = await text();
    const cachedBefore = await reads(PUBLIC);
    // Cached: the same answer, no upstream read.
    expect(await text()).toBe(first);
    expect(await reads(PUBLIC)).toBe(cachedBefore);

    const listener = await modernClient(endpoint, adminToken, "cache-lc-listener");
    const heard: string[] = [];
    listener.setNotificationHandler("notifications/resources/list_changed", async (notification) => {
      heard.push(notification.method);
    });
    const subscription = await listener.listen({ resourcesListChanged: true });
    await expect.poll(() => heard.length, { timeout: 10_000 }).toBeGreaterThan(0);

    // The change retired the entry: the next read is the upstream's again.
    const after = await text();
    expect(after).not.toBe(first);
    expect(await reads(PUBLIC)).toBe(cachedBefore + 1);
    // And is cached again.
    expect(await text()).toBe(after);
    expect(await reads(PUBLIC)).toBe(cachedBefore + 1);
    await subscription.close();
    await listener.close();
  });
});
