// REST routes for MCP server records: HTTP in, service call, JSON out. No
// storage access and no registry rules here.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { requireJsonBody } from "../http/json-body.ts";
import { validationHook } from "../http/validation.ts";
import { ServerCreateInput, ServerListQuery, ServerUpdateInput } from "../registry/server-input.ts";
import type { CatalogKind } from "../store/registry-store.ts";
import { CatalogItems, ServerPage, ServerView } from "./api-schemas.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";

const tag = ["servers"];
const IdParam = z.object({ id: z.string().min(1).max(64) });
const common = {
  401: problem("Missing or invalid credential"),
  404: problem("No such server"),
};

const registerRoute = createRoute({
  method: "post",
  path: "/servers",
  tags: tag,
  summary: "Register an MCP server and read its catalog",
  middleware: [requireJsonBody()] as const,
  request: { body: jsonBody(ServerCreateInput) },
  responses: {
    201: json(ServerView, "Registered (see catalog.status: an unreachable server is registered too)"),
    400: problem("Malformed JSON"),
    401: common[401],
    409: problem("The path is taken"),
    413: problem("Body too large"),
    415: problem("Body is not JSON"),
    422: problem("Invalid fields"),
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/servers",
  tags: tag,
  summary: "List servers (ordered by path, cursor-paginated)",
  request: { query: ServerListQuery },
  responses: { 200: json(ServerPage, "A page of servers"), 400: problem("Invalid query"), 401: common[401] },
});

const getRoute = createRoute({
  method: "get",
  path: "/servers/{id}",
  tags: tag,
  summary: "Get one server",
  request: { params: IdParam },
  responses: { 200: json(ServerView, "The server"), ...common },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/servers/{id}",
  tags: tag,
  summary: "Change some fields of a server (re-reads the catalog when endpoints or egress change)",
  middleware: [requireJsonBody()] as const,
  request: { params: IdParam, body: jsonBody(ServerUpdateInput) },
  responses: {
    200: json(ServerView, "The updated server"),
    ...common,
    409: problem("The new path is taken"),
    415: problem("Body is not JSON"),
    422: problem("Invalid fields"),
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/servers/{id}",
  tags: tag,
  summary: "Delete a server and its catalog",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...common },
});

const enablementRoute = (action: "enable" | "disable") =>
  createRoute({
    method: "post",
    path: `/servers/{id}/${action}`,
    tags: tag,
    summary: `${action === "enable" ? "Enable" : "Disable"} a server`,
    request: { params: IdParam },
    responses: { 200: json(ServerView, "The server"), ...common },
  });

const refreshRoute = createRoute({
  method: "post",
  path: "/servers/{id}/refresh",
  tags: tag,
  summary: "Connect to the server now and re-read its catalog",
  request: { params: IdParam },
  responses: { 200: json(ServerView, "The server with its new catalog state"), ...common },
});

const catalogRoute = (segment: "tools" | "resources" | "prompts") =>
  createRoute({
    method: "get",
    path: `/servers/{id}/${segment}`,
    tags: tag,
    summary: `List the server's ${segment === "resources" ? "resources and resource templates" : segment}`,
    request: { params: IdParam },
    responses: { 200: json(CatalogItems, `The ${segment}, in the server's order`), ...common },
  });

const CATALOG_KINDS: Record<"tools" | "resources" | "prompts", CatalogKind[]> = {
  tools: ["tool"],
  resources: ["resource", "resource_template"],
  prompts: ["prompt"],
};

export function serverRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(registerRoute, async (c) => {
    const server = await c.var.services.servers.register(c.get("principal"), c.req.valid("json"));
    c.header("location", `/api/v1/servers/${server.id}`);
    return c.json(server, 201);
  });

  app.openapi(listRoute, async (c) => {
    const page = await c.var.services.servers.list(c.get("principal"), c.req.valid("query"));
    return c.json(page, 200);
  });

  app.openapi(getRoute, async (c) => {
    const server = await c.var.services.servers.get(c.get("principal"), c.req.valid("param").id);
    return c.json(server, 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid("param");
    const server = await c.var.services.servers.update(c.get("principal"), id, c.req.valid("json"));
    return c.json(server, 200);
  });

  app.openapi(deleteRoute, async (c) => {
    await c.var.services.servers.delete(c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  });

  for (const action of ["enable", "disable"] as const) {
    app.openapi(enablementRoute(action), async (c) => {
      const { id } = c.req.valid("param");
      const server = await c.var.services.servers.setEnabled(c.get("principal"), id, action === "enable");
      return c.json(server, 200);
    });
  }

  app.openapi(refreshRoute, async (c) => {
    const server = await c.var.services.servers.refresh(c.get("principal"), c.req.valid("param").id);
    return c.json(server, 200);
  });

  for (const segment of ["tools", "resources", "prompts"] as const) {
    app.openapi(catalogRoute(segment), async (c) => {
      const { id } = c.req.valid("param");
      const entries = await c.var.services.servers.catalog(c.get("principal"), id, CATALOG_KINDS[segment]);
      return c.json({ items: entries }, 200);
    });
  }

  return app;
}
