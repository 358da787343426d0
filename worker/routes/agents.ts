// REST routes for A2A agents: HTTP in, service call, JSON out. Also the
// well-known card route `/agents/{path}/.well-known/agent-card.json`, mounted
// outside /api/v1 (see wellKnownAgentCardRoutes).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { authenticate } from "../auth/authenticate.ts";
import { GatewayError } from "../http/errors.ts";
import { requireJsonBody } from "../http/json-body.ts";
import { validationHook } from "../http/validation.ts";
import {
  AgentCardReplaceInput,
  AgentCreateInput,
  AgentListQuery,
  AgentUpdateInput,
} from "../registry/agent-input.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";
import { RatingSummarySchema } from "./rating-schemas.ts";

const tag = ["agents"];
const IdParam = z.object({ id: z.string().min(1).max(64) });
const common = {
  401: problem("Missing or invalid credential"),
  403: problem("Not allowed"),
  404: problem("No such agent (or not visible to you)"),
};

export const AgentViewSchema = z
  .object({
    id: z.string(),
    tenant: z.string(),
    path: z.string(),
    card: z.record(z.string(), z.unknown()).meta({ description: "The A2A Agent Card as registered" }),
    tags: z.array(z.string()),
    visibility: z.enum(["public", "private", "group"]),
    groups: z.array(z.string()),
    trustLevel: z.enum(["unverified", "community", "verified"]),
    enabled: z.boolean(),
    owner: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    rating: RatingSummarySchema,
  })
  .meta({ id: "Agent" });

const AgentPage = z
  .object({ items: z.array(AgentViewSchema), nextCursor: z.string().nullable() })
  .meta({ id: "AgentPage" });

const bodyErrors = {
  400: problem("Malformed JSON"),
  413: problem("Body too large"),
  415: problem("Body is not JSON"),
  422: problem("Invalid fields; card problems are named by JSON pointer (e.g. /card/skills/0/id)"),
};

const registerRoute = createRoute({
  method: "post",
  path: "/agents",
  tags: tag,
  summary: "Register an A2A agent (its card is validated against the A2A v0.3 schema)",
  middleware: [requireJsonBody()] as const,
  request: { body: jsonBody(AgentCreateInput) },
  responses: {
    201: json(AgentViewSchema, "Registered"),
    ...bodyErrors,
    401: common[401],
    403: common[403],
    409: problem("The path is taken by a server or an agent"),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/agents",
  tags: tag,
  summary: "List agents you may see (ordered by path, cursor-paginated)",
  request: { query: AgentListQuery },
  responses: { 200: json(AgentPage, "A page of agents"), 400: problem("Invalid query"), 401: common[401] },
});

const getRoute = createRoute({
  method: "get",
  path: "/agents/{id}",
  tags: tag,
  summary: "Get one agent",
  request: { params: IdParam },
  responses: { 200: json(AgentViewSchema, "The agent"), ...common },
});

const replaceRoute = createRoute({
  method: "put",
  path: "/agents/{id}",
  tags: tag,
  summary: "Replace the agent's card (validated again)",
  middleware: [requireJsonBody()] as const,
  request: { params: IdParam, body: jsonBody(AgentCardReplaceInput) },
  responses: { 200: json(AgentViewSchema, "The agent"), ...common, ...bodyErrors },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/agents/{id}",
  tags: tag,
  summary: "Change registry fields of an agent (path, tags, visibility, groups, trust level, enabled)",
  middleware: [requireJsonBody()] as const,
  request: { params: IdParam, body: jsonBody(AgentUpdateInput) },
  responses: {
    200: json(AgentViewSchema, "The agent"),
    ...common,
    ...bodyErrors,
    409: problem("The new path is taken"),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/agents/{id}",
  tags: tag,
  summary: "Delete an agent",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...common },
});

const enablementRoute = (action: "enable" | "disable") =>
  createRoute({
    method: "post",
    path: `/agents/{id}/${action}`,
    tags: tag,
    summary: `${action === "enable" ? "Enable" : "Disable"} an agent`,
    request: { params: IdParam },
    responses: { 200: json(AgentViewSchema, "The agent"), ...common },
  });

export function agentRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(registerRoute, async (c) => {
    const agent = await c.var.services.agents.register(c.get("principal"), c.req.valid("json"));
    c.header("location", `/api/v1/agents/${agent.id}`);
    return c.json(agent, 201);
  });

  app.openapi(listRoute, async (c) => {
    const page = await c.var.services.agents.list(c.get("principal"), c.req.valid("query"));
    return c.json(page, 200);
  });

  app.openapi(getRoute, async (c) => {
    const agent = await c.var.services.agents.get(c.get("principal"), c.req.valid("param").id);
    return c.json(agent, 200);
  });

  app.openapi(replaceRoute, async (c) => {
    const { id } = c.req.valid("param");
    const agent = await c.var.services.agents.replaceCard(c.get("principal"), id, c.req.valid("json").card);
    return c.json(agent, 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const agent = await c.var.services.agents.update(c.get("principal"), id, c.req.valid("json"));
    return c.json(agent, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await c.var.services.agents.delete(c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  });

  for (const action of ["enable", "disable"] as const) {
    app.openapi(enablementRoute(action), async (c) => {
      const { id } = c.req.valid("param");
      const agent = await c.var.services.agents.setEnabled(c.get("principal"), id, action === "enable");
      return c.json(agent, 200);
    });
  }

  return app;
}

/** The path pattern of the well-known card, inside the gateway's paths of http/dashboard-requests.ts. */
export const AGENT_CARD_ROUTE = "/agents/:path/.well-known/agent-card.json";

/**
 * `GET /agents/{path}/.well-known/agent-card.json`: the registered card, for
 * callers who may see the agent (404 for everyone else, so existence does not
 * leak). An A2A client given `{gateway}/agents/{path}/` as base URL finds it.
 */
export function wellKnownAgentCardRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>();
  app.use(AGENT_CARD_ROUTE, authenticate());
  app.get(AGENT_CARD_ROUTE, async (c) => {
    const card = await c.var.services.agents.cardByPath(c.get("principal"), c.req.param("path"));
    if (!card) throw new GatewayError("not-found", { detail: "No such agent" });
    c.header("cache-control", "private, no-store");
    return c.json(card, 200);
  });
  return app;
}
