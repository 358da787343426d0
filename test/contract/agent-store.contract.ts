// The behaviour every AgentStore adapter must have. An adapter's test file
// calls `describeAgentStoreContract` with a factory for its store; nothing
// here knows which backend it talks to.
import { beforeEach, describe, expect, it } from "vitest";
import {
  type AgentRecord,
  type AgentStore,
  DuplicateAgentPathError,
} from "../../worker/store/agent-store.ts";
import { InvalidCursorError, type Viewer } from "../../worker/store/registry-store.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function sampleAgent(overrides: Partial<AgentRecord> = {}): AgentRecord {
  const timestamp = "2026-11-21T10:00:00.000Z";
  return {
    id: crypto.randomUUID(),
    tenant: "tenant-a",
    path: unique("agent"),
    card: {
      protocolVersion: "0.3.0",
      name: "Code Reviewer",
      description: "Reviews pull requests for style and bugs",
      url: "https://agents.example/reviewer",
      version: "1.0.0",
      capabilities: { streaming: true },
      defaultInputModes: ["text/plain"],
      defaultOutputModes: ["text/plain"],
      skills: [
        {
          id: "review-python",
          name: "Python review",
          description: "Finds bugs in Python diffs",
          tags: ["python", "qa"],
        },
      ],
    },
    tags: ["code-review"],
    visibility: "public",
    groups: [],
    trustLevel: "unverified",
    enabled: true,
    owner: "alice",
    createdAt: timestamp,
    updatedAt: timestamp,
    ...overrides,
  };
}

const everyone: Viewer = { subject: "root", groups: [], seesEverything: true };

export function describeAgentStoreContract(adapter: string, makeStore: () => Promise<AgentStore>) {
  describe(`AgentStore contract: ${adapter}`, () => {
    let store: AgentStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it("stores an agent and returns it field for field, by id and by path", async () => {
      const agent = sampleAgent({ groups: ["team-a"], visibility: "group", trustLevel: "community" });
      await store.insertAgent(agent);
      expect(await store.getAgent(agent.tenant, agent.id)).toEqual(agent);
      expect(await store.getAgentByPath(agent.path)).toEqual(agent);
    });

    it("hides an agent from other tenants", async () => {
      const agent = sampleAgent();
      await store.insertAgent(agent);
      expect(await store.getAgent("tenant-b", agent.id)).toBeNull();
      expect(await store.deleteAgent("tenant-b", agent.id)).toBe(false);
      expect(await store.updateAgent({ ...agent, tenant: "tenant-b", tags: ["x"] })).toBe(false);
      expect(await store.getAgent(agent.tenant, agent.id)).toEqual(agent);
    });

    it("refuses a duplicate path, across tenants, and keeps the first", async () => {
      const first = sampleAgent();
      await store.insertAgent(first);
      const second = sampleAgent({ path: first.path, tenant: "tenant-b" });
      await expect(store.insertAgent(second)).rejects.toBeInstanceOf(DuplicateAgentPathError);
      expect(await store.getAgent("tenant-b", second.id)).toBeNull();
      expect(await store.getAgentByPath(first.path)).toEqual(first);
    });

    it("updates a record whole and refuses a rename onto a taken path", async () => {
      const a = sampleAgent();
      const b = sampleAgent();
      await store.insertAgent(a);
      await store.insertAgent(b);
      const changed = { ...a, enabled: false, tags: ["new"], card: { ...a.card, name: "Renamed" } };
      expect(await store.updateAgent(changed)).toBe(true);
      expect(await store.getAgent(a.tenant, a.id)).toEqual(changed);
      await expect(store.updateAgent({ ...b, path: a.path })).rejects.toBeInstanceOf(DuplicateAgentPathError);
      expect(await store.getAgent(b.tenant, b.id)).toEqual(b);
    });

    it("lists by path with a cursor and filters by tag, trust level, enabled, text and paths", async () => {
      const tenant = unique("list");
      const agents = ["c", "a", "e", "b", "d"].map((name, index) =>
        sampleAgent({
          tenant,
          path: `${tenant}-${name}`,
          tags: index % 2 === 0 ? ["even"] : ["odd"],
          trustLevel: name === "e" ? "verified" : "unverified",
          enabled: name !== "d",
          card: {
            ...sampleAgent().card,
            name: `Agent ${name}`,
            description: name === "b" ? "Translates Klingon" : "x",
          },
        }),
      );
      for (const agent of agents) await store.insertAgent(agent);
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listAgents(tenant, { limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        all.push(...page.items.map((agent) => agent.path));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      expect(all).toEqual(["a", "b", "c", "d", "e"].map((name) => `${tenant}-${name}`));
      const paths = async (query: Parameters<AgentStore["listAgents"]>[1]) =>
        (await store.listAgents(tenant, query)).items.map((agent) => agent.path.slice(tenant.length + 1));
      expect(await paths({ limit: 10, tag: "even" })).toEqual(["c", "d", "e"]);
      expect(await paths({ limit: 10, trustLevel: "verified" })).toEqual(["e"]);
      expect(await paths({ limit: 10, enabled: false })).toEqual(["d"]);
      expect(await paths({ limit: 10, text: "klingon" })).toEqual(["b"]);
      // Skills are searched too.
      expect(await paths({ limit: 10, text: "python review" })).toHaveLength(5);
      expect(await paths({ limit: 10, paths: [`${tenant}-b`, `${tenant}-e`] })).toEqual(["b", "e"]);
      expect(await paths({ limit: 10, paths: [] })).toEqual([]);
      expect(await paths({ limit: 10, viewer: everyone })).toHaveLength(5);
      await expect(store.listAgents(tenant, { limit: 2, cursor: "not-a-cursor" })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
    });

    it("lists only what a viewer may see: public, own, or a shared group", async () => {
      const tenant = unique("visible");
      const make = (name: string, visibility: AgentRecord["visibility"], owner: string, groups: string[]) =>
        sampleAgent({ tenant, path: `${tenant}-${name}`, visibility, owner, groups });
      for (const agent of [
        make("a", "public", "alice", []),
        make("b", "private", "alice", []),
        make("c", "group", "alice", ["team-x"]),
        make("d", "private", "bob", []),
      ]) {
        await store.insertAgent(agent);
      }
      const seen = async (viewer: Viewer) =>
        (await store.listAgents(tenant, { limit: 10, viewer })).items.map((agent) => agent.path.slice(-1));
      expect(await seen({ subject: "bob", groups: [], seesEverything: false })).toEqual(["a", "d"]);
      expect(await seen({ subject: "carol", groups: ["team-x"], seesEverything: false })).toEqual(["a", "c"]);
      expect(await seen({ subject: "alice", groups: [], seesEverything: false })).toEqual(["a", "b", "c"]);
      expect(await seen(everyone)).toEqual(["a", "b", "c", "d"]);
    });

    it("deletes once and frees the path", async () => {
      const agent = sampleAgent();
      await store.insertAgent(agent);
      expect(await store.deleteAgent(agent.tenant, agent.id)).toBe(true);
      expect(await store.deleteAgent(agent.tenant, agent.id)).toBe(false);
      expect(await store.getAgentByPath(agent.path)).toBeNull();
      await store.insertAgent(sampleAgent({ path: agent.path }));
    });
  });
}
