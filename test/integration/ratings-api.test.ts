// Star ratings through the real app and D1: one per user (replace), at most
// 100 kept per entity with the oldest dropped, strict 1..5 integers, the
// summary on every representation (get, list, search), admins list them, and
// search sort=rating.
import { beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../worker/auth/principal.ts";
import { cardNamed } from "../support/a2a-cards.ts";
import { problemOf } from "../support/api.ts";
import { apiAs, principal, uniqueTenant, usePrincipalSeam } from "../support/policy.ts";

usePrincipalSeam();

const tenant = uniqueTenant("ratings");
const run = `r${Date.now().toString(36)}${crypto.randomUUID().slice(0, 4)}`;
const admin = principal({ tenant, subject: "root", groups: ["mcp-registry-admin"] });
const user = (n: number) => principal({ tenant, subject: `user-${n}`, groups: ["raters"] });

const document = {
  group_mappings: { "mcp-registry-admin": ["admin"], raters: ["rater"] },
  ui_scopes: {
    admin: {
      list_service: ["all"],
      register_service: ["all"],
      delete_service: ["all"],
      list_agents: ["all"],
      get_agent: ["all"],
      publish_agent: ["all"],
      manage_scopes: ["all"],
    },
    rater: { list_service: ["all"], list_agents: ["all"], get_agent: ["all"] },
  },
};

interface Rating {
  mean: number | null;
  count: number;
  mine?: number | null;
}

let serverId = "";
const agentIds: string[] = [];

async function rate(who: Principal, url: string, rating: unknown): Promise<Response> {
  return apiAs(who, url, { method: "POST", json: { rating } });
}

beforeAll(async () => {
  const put = await apiAs(admin, "/api/v1/scopes", { method: "PUT", json: document });
  expect(put.status, await put.clone().text()).toBe(200);
  const server = await apiAs(admin, "/api/v1/servers", {
    method: "POST",
    json: {
      name: "Zanzibar almanac",
      path: `${run}-almanac`,
      description: "Zanzibar tide tables",
      endpoints: [{ url: "http://127.0.0.1:1/mcp" }],
    },
  });
  expect(server.status, await server.clone().text()).toBe(201);
  serverId = ((await server.json()) as { id: string }).id;
  for (const name of ["first", "second", "third"]) {
    const response = await apiAs(admin, "/api/v1/agents", {
      method: "POST",
      json: {
        path: `${run}-${name}`,
        card: cardNamed(`Quokka ${name}`, [
          { id: "count", name: "Count quokkas", description: "Counts quokkas", tags: ["quokka"] },
        ]),
      },
    });
    expect(response.status, await response.clone().text()).toBe(201);
    agentIds.push(((await response.json()) as { id: string }).id);
  }
});

describe("ratings of a server", () => {
  it("keeps the newest 100 of 150 users, with the right mean", async () => {
    const url = `/api/v1/servers/${serverId}/rating`;
    // The first 50 users rate 1; the later 100 rate 1..5 evenly (mean 3).
    for (let n = 0; n < 150; n++) {
      const response = await rate(user(n), url, n < 50 ? 1 : (n % 5) + 1);
      expect(response.status).toBe(200);
    }
    const server = (await (await apiAs(admin, `/api/v1/servers/${serverId}`)).json()) as { rating: Rating };
    expect(server.rating).toEqual({ mean: 3, count: 100 });
    const listed = await apiAs(admin, `/api/v1/servers/${serverId}/ratings`);
    expect(listed.status).toBe(200);
    const { items } = (await listed.json()) as { items: { rater: string; rating: number }[] };
    expect(items).toHaveLength(100);
    const subjects = items.map((item) => (JSON.parse(item.rater) as string[])[1]);
    // Newest first; users 0..49 (the oldest) are gone.
    expect(subjects[0]).toBe("user-149");
    expect(subjects.at(-1)).toBe("user-50");
    expect(subjects.some((subject) => /^user-([0-9]|[1-4][0-9])$/.test(subject as string))).toBe(false);
  });

  it("replaces a user's rating instead of adding one, and removes it on DELETE", async () => {
    const url = `/api/v1/agents/${agentIds[0]}/rating`;
    const rater = user(1000);
    expect((await (await rate(rater, url, 5)).json()) as Rating).toEqual({ mean: 5, count: 1, mine: 5 });
    expect((await (await rate(user(1001), url, 3)).json()) as Rating).toEqual({ mean: 4, count: 2, mine: 3 });
    expect((await (await rate(rater, url, 1)).json()) as Rating).toEqual({ mean: 2, count: 2, mine: 1 });
    expect(await (await apiAs(rater, url)).json()).toEqual({ mean: 2, count: 2, mine: 1 });
    const removed = await apiAs(rater, url, { method: "DELETE" });
    expect(await removed.json()).toEqual({ mean: 3, count: 1, mine: null });
    expect((await apiAs(rater, url, { method: "DELETE" })).status).toBe(404);
  });

  for (const bad of [0, 6, 2.5, "5", null, -1]) {
    it(`refuses rating ${JSON.stringify(bad)} with 422 naming the field, changing nothing`, async () => {
      const url = `/api/v1/servers/${serverId}/rating`;
      const before = await (await apiAs(user(3), url)).json();
      const response = await rate(user(3), url, bad);
      expect(response.status).toBe(422);
      expect((await problemOf(response)).errors?.map((error) => error.field)).toEqual(["rating"]);
      expect(await (await apiAs(user(3), url)).json()).toEqual(before);
    });
  }

  it("lists individual ratings to admins only", async () => {
    const response = await apiAs(user(60), `/api/v1/servers/${serverId}/ratings`);
    expect(response.status).toBe(403);
  });

  it("is 404 for an entity that does not exist", async () => {
    expect((await rate(user(1), `/api/v1/servers/${crypto.randomUUID()}/rating`, 3)).status).toBe(404);
    expect((await rate(user(1), `/api/v1/agents/${crypto.randomUUID()}/rating`, 3)).status).toBe(404);
  });
});

describe("ratings on every representation", () => {
  it("shows the summary in lists and search results, and sorts search by rating", async () => {
    const list = (await (await apiAs(user(2), `/api/v1/servers?text=${run}`)).json()) as {
      items: { id: string; rating: Rating }[];
    };
    expect(list.items.find((item) => item.id === serverId)?.rating).toEqual({ mean: 3, count: 100 });

    const found = await apiAs(user(2), "/api/v1/search?q=zanzibar+tide&type=server");
    expect(found.status, await found.clone().text()).toBe(200);
    const results = ((await found.json()) as { results: { serverId: string; rating: Rating }[] }).results;
    expect(results.find((result) => result.serverId === serverId)?.rating).toEqual({ mean: 3, count: 100 });

    // Agents: second 5 stars, third 2 stars, first (from the test above) 3 stars.
    await rate(user(1), `/api/v1/agents/${agentIds[1]}/rating`, 5);
    await rate(user(1), `/api/v1/agents/${agentIds[2]}/rating`, 2);
    const agents = (await (await apiAs(user(2), "/api/v1/agents?text=quokka")).json()) as {
      items: { id: string; rating: Rating }[];
    };
    expect(agents.items.map((agent) => agent.rating.mean)).toEqual([3, 5, 2]);
    const byRating = await apiAs(user(2), "/api/v1/search?q=quokka&type=agent&sort=rating");
    const ranked = ((await byRating.json()) as { results: { agentId: string; rating: Rating }[] }).results;
    expect(ranked.map((result) => result.agentId)).toEqual([agentIds[1], agentIds[0], agentIds[2]]);
    expect(ranked.map((result) => result.rating.mean)).toEqual([5, 3, 2]);
  });
});
