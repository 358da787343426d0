// REST routes for discovery: `GET /search` (hybrid search over tools and
// servers the caller may see) and `POST /search/reindex` (rebuild the
// tenant's index). HTTP in, service call, JSON out.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import { validationHook } from "../http/validation.ts";
import { decide } from "../policy/access-policy.ts";
import { type AgentHitKind, searchAgents } from "../search/agent-search.ts";
import { queryTerms } from "../search/analysis.ts";
import type { DocumentKind } from "../search/ports.ts";
import { type SearchParameters, SearchQuery } from "../search/search-input.ts";
import type { SearchOutcome, SearchPermission, SearchResultItem } from "../search/search-service.ts";
import type { Services } from "../services.ts";
import { NO_RATINGS, type RatingSummary } from "../store/rating-store.ts";
import { problem } from "./openapi-parts.ts";
import { RatingSummarySchema } from "./rating-schemas.ts";

/**
 * Which search hits the caller may see, by the one decision function: a tool
 * when the caller may call it (exactly what tools/list shows them), a server
 * when the caller may list it. The search service applies this before it
 * cuts the ranking, so a hidden best match never costs the caller a result.
 */
export async function searchPermission(principal: Principal, services: Services): Promise<SearchPermission> {
  const policy = await services.access.policyFor(principal.tenant);
  // Visibility (registry/visibility.ts) on top of the scopes: hidden servers and their tools vanish.
  const hidden = await services.servers.hiddenServerIds(principal);
  return (hit) =>
    !hidden.has(hit.serverId) &&
    (hit.kind === "tool"
      ? decide(policy, principal, {
          kind: "mcp",
          server: hit.serverPath,
          method: "tools/call",
          tool: hit.name,
        }).allow
      : decide(policy, principal, { kind: "registry", action: "list_service", resource: hit.serverPath })
          .allow);
}

/** Index results with their server's rating, plus agents and skills when asked for; sorted as asked. */
async function rankedResults(
  services: Services,
  principal: Principal,
  indexed: SearchResultItem[],
  agentTypes: AgentHitKind[],
  params: SearchParameters,
): Promise<z.input<typeof SearchResultSchema>[]> {
  const ratings = await services.ratings.summaries(principal.tenant, "server", [
    ...new Set(indexed.map((result) => result.serverId)),
  ]);
  const results: (z.input<typeof SearchResultSchema> & { rating: RatingSummary })[] = indexed.map(
    (result) => ({ ...result, rating: ratings.get(result.serverId) ?? NO_RATINGS }),
  );
  if (agentTypes.length > 0 && params.server === undefined) {
    const agents = await services.agents.visibleAgents(principal);
    for (const hit of searchAgents(agents, params.q, agentTypes, params.limit, params.tag)) {
      results.push({
        ...hit,
        serverId: hit.agentId,
        serverPath: hit.agentPath,
        serverName: hit.agentName,
        inputSchema: null,
        matchedBy: ["keyword"],
      });
    }
  }
  if (params.sort === "rating") results.sort(byRating);
  return results.slice(0, params.limit);
}

/** Highest mean first, unrated last; ties by more ratings, then relevance. */
function byRating(a: { rating: RatingSummary; score: number }, b: { rating: RatingSummary; score: number }) {
  return (
    (b.rating.mean ?? -1) - (a.rating.mean ?? -1) || b.rating.count - a.rating.count || b.score - a.score
  );
}

function emptyOutcome(query: string): SearchOutcome {
  return {
    mode: "keyword",
    terms: queryTerms(query),
    results: [],
    timings: { keywordMs: 0, vectorMs: 0, totalMs: 0 },
  };
}

const tags = ["search"];

const SearchResultSchema = z.object({
  kind: z.enum(["tool", "server", "agent", "skill"]),
  agentId: z.string().optional().meta({ description: "Agents and skills: the agent (also in serverId)" }),
  agentPath: z.string().optional(),
  skillId: z.string().nullable().optional().meta({ description: "Skills: the skill's id in the card" }),
  rating: RatingSummarySchema.meta({ description: "The server's (or agent's) rating" }),
  id: z.string().meta({ description: "Stable id of the search document" }),
  name: z.string().meta({ description: "Tool name exactly as the server lists it (or the server's name)" }),
  title: z.string().nullable(),
  description: z.string(),
  serverId: z.string().meta({ description: "The server (or, for agents and skills, the agent)" }),
  serverPath: z.string().meta({ description: "The server is reached at /{serverPath}/mcp" }),
  serverName: z.string(),
  tags: z.array(z.string()),
  inputSchema: z.record(z.string(), z.unknown()).nullable().meta({ description: "Tools only" }),
  score: z.number().meta({ description: "Higher is better; comparable within one response only" }),
  matchedFields: z.array(z.enum(["name", "description", "details", "params", "server", "tags", "tools"])),
  matchedBy: z.array(z.enum(["keyword", "vector"])),
});

const SearchResponse = z
  .object({
    mode: z.enum(["keyword", "hybrid"]).meta({
      description:
        "`keyword`: no embedder is configured (or it failed, see notice); `hybrid`: keyword and vector fused",
    }),
    query: z.string(),
    terms: z.array(z.string()).meta({ description: "The search terms the query was reduced to" }),
    results: z.array(SearchResultSchema),
    notice: z.string().optional(),
    tookMs: z.number(),
  })
  .meta({ id: "SearchResponse" });

const ReindexResponse = z
  .object({
    servers: z.int(),
    documents: z.int(),
    removedServers: z.int(),
    embedded: z.int(),
    tookMs: z.number(),
  })
  .meta({ id: "ReindexReport" });

const searchRoute = createRoute({
  method: "get",
  path: "/search",
  tags,
  summary: "Search tools and servers in plain words (only what the caller may use)",
  request: { query: SearchQuery },
  responses: {
    200: { description: "Ranked results", content: { "application/json": { schema: SearchResponse } } },
    400: problem("Invalid query parameters (empty or overlong query, unknown type or parameter)"),
    401: problem("Missing or invalid credential"),
  },
});

const reindexRoute = createRoute({
  method: "post",
  path: "/search/reindex",
  tags,
  summary: "Rebuild the search index of the caller's tenant from the registry (idempotent)",
  responses: {
    200: { description: "What was indexed", content: { "application/json": { schema: ReindexResponse } } },
    401: problem("Missing or invalid credential"),
    403: problem("Only a caller who may modify every server may reindex"),
  },
});

function rounded(ms: number): number {
  return Math.round(ms * 100) / 100;
}

export function searchRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(searchRoute, async (c) => {
    const services = c.var.services;
    const principal = c.get("principal");
    const params = c.req.valid("query");
    const types = params.type ?? ["tool", "server"];
    const indexTypes = types.filter((type): type is DocumentKind => type === "tool" || type === "server");
    const agentTypes = types.filter((type): type is AgentHitKind => type === "agent" || type === "skill");
    const outcome =
      indexTypes.length > 0
        ? await services.search.search({
            tenant: principal.tenant,
            query: params.q,
            types: indexTypes,
            tag: params.tag,
            server: params.server,
            limit: params.limit,
            allow: await searchPermission(principal, services),
          })
        : emptyOutcome(params.q);
    const { timings } = outcome;
    c.header(
      "server-timing",
      `keyword;dur=${rounded(timings.keywordMs)}, vector;dur=${rounded(timings.vectorMs)}, total;dur=${rounded(timings.totalMs)}`,
    );
    const body: z.input<typeof SearchResponse> = {
      mode: outcome.mode,
      query: params.q,
      terms: outcome.terms,
      results: await rankedResults(services, principal, outcome.results, agentTypes, params),
      tookMs: rounded(timings.totalMs),
    };
    if (outcome.notice) body.notice = outcome.notice;
    return c.json(body, 200);
  });

  app.openapi(reindexRoute, async (c) => {
    const services = c.var.services;
    const principal = c.get("principal");
    const grant = await services.access.resources(principal, "modify_service");
    if (!grant.all) {
      throw new GatewayError("forbidden", { detail: "Reindexing needs modify_service on all servers" });
    }
    const started = performance.now();
    const report = await services.searchIndexer.reindex(principal.tenant);
    return c.json({ ...report, tookMs: rounded(performance.now() - started) }, 200);
  });

  return app;
}
