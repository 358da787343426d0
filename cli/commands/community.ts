// Commands for features that arrive in newer gateways: A2A agents
// (/api/v1/agents), ratings (/api/v1/{servers|agents}/{id}/rating) and
// server.json import (/api/v1/servers/import). They follow the documented
// routes; an older gateway answers 404 "No such route", which becomes a
// clear message instead of "not found".
import {
  CliError,
  type Command,
  exactArgs,
  listOption,
  stringOption,
  UsageError,
  type Values,
} from "../command.ts";
import { type Context, parseJson } from "../context.ts";
import { type GatewayClient, ProblemError } from "../gateway-client.ts";
import { clip } from "../output.ts";
import { resolveServer } from "./servers.ts";

/** Runs `work`; a missing route means the gateway predates `feature`. */
async function needsFeature<T>(feature: string, route: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProblemError && error.noSuchRoute) {
      throw new CliError(
        `this gateway has no ${feature} (${route} answered 404 No such route); upgrade the gateway`,
      );
    }
    throw error;
  }
}

interface Agent {
  id: string;
  path: string;
  card?: { name?: string; description?: string; skills?: unknown[] };
  tags?: string[];
  enabled?: boolean;
  visibility?: string;
  trustLevel?: string;
  rating?: { mean: number | null; count: number };
}

const AGENTS = "agent registry";

async function listAgents(api: GatewayClient, query: Record<string, string | undefined>): Promise<Agent[]> {
  const agents: Agent[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.request<{ items: Agent[]; nextCursor?: string | null }>("/agents", {
      query: { ...query, cursor },
    });
    agents.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return agents;
}

/** An agent by path or id. */
async function resolveAgent(api: GatewayClient, ref: string): Promise<Agent> {
  const byPath = (await listAgents(api, { text: ref })).find((agent) => agent.path === ref);
  return byPath ?? api.request<Agent>(`/agents/${encodeURIComponent(ref)}`);
}

async function agentBody(ctx: Context, values: Values): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = {};
  const file = stringOption(values, "file");
  if (file !== undefined) Object.assign(body, objectFrom(parseJson(await ctx.readInput(file), file), file));
  const card = stringOption(values, "card");
  if (card !== undefined) body.card = objectFrom(parseJson(await ctx.readInput(card), card), card);
  const path = stringOption(values, "path");
  if (path !== undefined) body.path = path;
  const tags = listOption(values, "tags");
  if (tags !== undefined) body.tags = tags;
  const groups = listOption(values, "groups");
  if (groups !== undefined) body.groups = groups;
  const visibility = stringOption(values, "visibility");
  if (visibility !== undefined) body.visibility = visibility;
  const trust = stringOption(values, "trust-level");
  if (trust !== undefined) body.trustLevel = trust;
  return body;
}

function objectFrom(value: unknown, source: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UsageError(`${source} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

const agentBodyOptions = {
  file: { type: "string", help: "<file.json> the registration as JSON (- for stdin); flags override" },
  card: { type: "string", help: "<card.json> the A2A agent card" },
  path: { type: "string", help: "<path> the agent's path" },
  tags: { type: "string", help: "<a,b> tags" },
  visibility: { type: "string", help: "<public|private|group> who may see it" },
  groups: { type: "string", help: "<a,b> groups that may see it (visibility group)" },
  "trust-level": { type: "string", help: "<unverified|community|verified> trust level" },
} as const;

const agentCommands: Command[] = [
  {
    name: ["agents", "list"],
    summary: "List the A2A agents you may see",
    options: {
      tag: { type: "string", help: "<tag> only agents with this tag" },
      text: { type: "string", help: "<text> only agents matching this text" },
      "trust-level": { type: "string", help: "<level> only agents of this trust level" },
    },
    async run(ctx, positionals, values) {
      exactArgs(positionals, []);
      const api = await ctx.api();
      const agents = await needsFeature(AGENTS, "GET /api/v1/agents", () =>
        listAgents(api, {
          tag: stringOption(values, "tag"),
          text: stringOption(values, "text"),
          trustLevel: stringOption(values, "trust-level"),
        }),
      );
      ctx.output.result(agents, () =>
        ctx.output.table(
          agents,
          [
            ["PATH", (agent) => agent.path],
            ["NAME", (agent) => clip(agent.card?.name, 30)],
            ["TRUST", (agent) => agent.trustLevel],
            ["VISIBILITY", (agent) => agent.visibility],
            ["SKILLS", (agent) => agent.card?.skills?.length ?? 0],
            ["RATING", (agent) => (agent.rating?.mean == null ? "-" : agent.rating.mean.toFixed(1))],
          ],
          "No agents.",
        ),
      );
    },
  },
  {
    name: ["agents", "get"],
    summary: "Show one agent",
    args: "<agent>",
    async run(ctx, positionals) {
      const [ref = ""] = exactArgs(positionals, ["agent"]);
      const api = await ctx.api();
      const agent = await needsFeature(AGENTS, "GET /api/v1/agents", () => resolveAgent(api, ref));
      ctx.output.result(agent, () => ctx.output.line(JSON.stringify(agent, null, 2)));
    },
  },
  {
    name: ["agents", "register"],
    summary: "Register an A2A agent from its card",
    options: agentBodyOptions,
    details:
      "Example:\n  mcpgw agents register --path travel --card agent-card.json --tags travel --visibility public",
    async run(ctx, positionals, values) {
      exactArgs(positionals, []);
      const body = await agentBody(ctx, values);
      const api = await ctx.api();
      const agent = await needsFeature(AGENTS, "POST /api/v1/agents", () =>
        api.request<Agent>("/agents", { method: "POST", json: body }),
      );
      ctx.output.result(agent, () => ctx.output.line(`Registered agent ${agent.path} (id ${agent.id}).`));
    },
  },
  {
    name: ["agents", "update"],
    summary: "Change an agent's registry fields (PATCH), or replace its card with --card (PUT)",
    args: "<agent>",
    options: agentBodyOptions,
    async run(ctx, positionals, values) {
      const [ref = ""] = exactArgs(positionals, ["agent"]);
      const body = await agentBody(ctx, values);
      if (Object.keys(body).length === 0) throw new UsageError("nothing to change");
      const api = await ctx.api();
      const agent = await needsFeature(AGENTS, "PATCH /api/v1/agents/{id}", async () => {
        const { id } = await resolveAgent(api, ref);
        const { card, ...fields } = body;
        let latest: Agent | undefined;
        if (card !== undefined) {
          latest = await api.request<Agent>(`/agents/${encodeURIComponent(id)}`, {
            method: "PUT",
            json: card,
          });
        }
        if (Object.keys(fields).length > 0) {
          latest = await api.request<Agent>(`/agents/${encodeURIComponent(id)}`, {
            method: "PATCH",
            json: fields,
          });
        }
        return latest as Agent;
      });
      ctx.output.result(agent, () => ctx.output.line(`Updated agent ${agent.path}.`));
    },
  },
  ...(["enable", "disable", "delete"] as const).map(
    (action): Command => ({
      name: ["agents", action],
      summary: `${action[0]?.toUpperCase()}${action.slice(1)} an agent`,
      args: "<agent>",
      async run(ctx, positionals) {
        const [ref = ""] = exactArgs(positionals, ["agent"]);
        const api = await ctx.api();
        const result = await needsFeature(AGENTS, `/api/v1/agents/{id}`, async () => {
          const { id, path } = await resolveAgent(api, ref);
          const route = `/agents/${encodeURIComponent(id)}`;
          if (action === "delete") {
            await api.request(route, { method: "DELETE" });
            return { deleted: true, id, path };
          }
          return api.request<Agent>(`${route}/${action}`, { method: "POST" });
        });
        ctx.output.result(result, () =>
          ctx.output.line(`${action === "delete" ? "Deleted" : `${action}d`} ${ref}.`),
        );
      },
    }),
  ),
];

const rate: Command = {
  name: ["rate"],
  summary: "Rate a server (or an agent with --agent) from 1 to 5 stars; a new rating replaces yours",
  args: "<server> <1-5>",
  options: { agent: { type: "boolean", help: "rate the agent of that path or id instead" } },
  async run(ctx, positionals, values) {
    const [ref = "", stars = ""] = exactArgs(
      positionals,
      values.agent === true ? ["agent", "1-5"] : ["server", "1-5"],
    );
    const rating = Number(stars);
    if (!Number.isInteger(rating) || rating < 1 || rating > 5) {
      throw new UsageError(`the rating must be a whole number from 1 to 5, not "${stars}"`);
    }
    const api = await ctx.api();
    const kind = values.agent === true ? "agents" : "servers";
    const result = await needsFeature("ratings", `POST /api/v1/${kind}/{id}/rating`, async () => {
      const { id } = values.agent === true ? await resolveAgent(api, ref) : await resolveServer(api, ref);
      return api.request<unknown>(`/${kind}/${encodeURIComponent(id)}/rating`, {
        method: "POST",
        json: { rating },
      });
    });
    ctx.output.result(result ?? { rated: ref, rating }, () => ctx.output.line(`Rated ${ref} ${rating}/5.`));
  },
};

/** server.json documents from a file or URL: one document, or a registry list `{servers: [{server}...]}`. */
function serverDocuments(value: unknown, source: string): Record<string, unknown>[] {
  const object = objectFrom(value, source);
  if (!Array.isArray(object.servers)) return [object];
  return object.servers.map((entry, index) => {
    const item = objectFrom(entry, `${source} servers[${index}]`);
    return objectFrom(item.server ?? item, `${source} servers[${index}]`);
  });
}

async function fetchJson(url: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" } });
  } catch (error) {
    throw new CliError(`cannot fetch ${url}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new CliError(`${url} answered ${response.status}`);
  return parseJson(await response.text(), url);
}

const importCommand: Command = {
  name: ["import"],
  summary: "Register servers from server.json (a file, or a URL: one document or a registry's server list)",
  args: "<server.json | url>",
  async run(ctx, positionals) {
    const [source = ""] = exactArgs(positionals, ["source"]);
    const raw = /^https?:\/\//.test(source)
      ? await fetchJson(source)
      : parseJson(await ctx.readInput(source), source);
    const documents = serverDocuments(raw, source);
    const api = await ctx.api();
    const imported: unknown[] = [];
    const failures: { name: unknown; error: string }[] = [];
    for (const [index, document] of documents.entries()) {
      if (documents.length > 1)
        ctx.output.progress(`[${index + 1}/${documents.length}] importing ${String(document.name)}…`);
      try {
        imported.push(
          await needsFeature("server.json import", "POST /api/v1/servers/import", () =>
            api.request("/servers/import", { method: "POST", json: document }),
          ),
        );
      } catch (error) {
        // One document: its error is the command's. Many: report each, go on (except a missing route).
        if (documents.length === 1 || error instanceof CliError) throw error;
        failures.push({ name: document.name, error: (error as Error).message });
      }
    }
    ctx.output.result({ imported, failures }, () => {
      ctx.output.line(`Imported ${imported.length} of ${documents.length}.`);
      for (const failure of failures) ctx.output.line(`failed: ${String(failure.name)}: ${failure.error}`);
    });
    if (failures.length > 0) process.exitCode = 1;
  },
};

export const communityCommands: Command[] = [...agentCommands, rate, importCommand];
