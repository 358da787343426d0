// server.json in and out of the REST API: POST /api/v1/servers/import takes
// a server.json document, GET /api/v1/servers/{id}/server.json exports one.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { requireJsonBody } from "../http/json-body.ts";
import { baseUrl } from "../http/resource.ts";
import { validationHook } from "../http/validation.ts";
import { PathSlug } from "../registry/server-input.ts";
import { ServerView } from "./api-schemas.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";

const tag = ["servers"];

const ServerJsonDocument = z.record(z.string(), z.unknown()).meta({
  id: "ServerJson",
  description:
    "A server.json document (MCP Registry server.schema.json, pinned in config/mcp-registry/); remotes become endpoints",
});

const importRoute = createRoute({
  method: "post",
  path: "/servers/import",
  tags: tag,
  summary: "Register a server from a server.json document (its remotes become endpoints)",
  middleware: [requireJsonBody()] as const,
  request: {
    query: z.strictObject({
      path: PathSlug.optional(),
      enabled: z
        .enum(["true", "false"])
        .transform((value) => value === "true")
        .optional(),
    }),
    body: jsonBody(ServerJsonDocument),
  },
  responses: {
    201: json(ServerView, "Registered (see catalog.status)"),
    400: problem("Malformed JSON or query"),
    401: problem("Missing or invalid credential"),
    403: problem("register_service not granted on the path"),
    409: problem("The path or the registry name is taken"),
    415: problem("Body is not JSON"),
    422: problem("Not a valid server.json, or one without remotes (packages-only servers cannot be fronted)"),
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/servers/{id}/server.json",
  tags: tag,
  summary: "The server's server.json (remotes at this gateway)",
  request: { params: z.object({ id: z.string().min(1).max(64) }) },
  responses: {
    200: json(ServerJsonDocument, "A server.json valid against the pinned schema"),
    401: problem("Missing or invalid credential"),
    404: problem("No such server"),
  },
});

export function serverJsonRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(importRoute, async (c) => {
    const { path, enabled } = c.req.valid("query");
    const server = await c.var.services.registryApi.importServerJson(
      c.get("principal"),
      c.req.valid("json"),
      {
        ...(path !== undefined ? { path } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
      },
    );
    c.header("location", `/api/v1/servers/${server.id}`);
    return c.json(server, 201);
  });

  app.openapi(exportRoute, async (c) => {
    const document = await c.var.services.registryApi.exportServerJson(
      c.get("principal"),
      c.req.valid("param").id,
      baseUrl(c.var.config.publicUrl, c.req.url),
    );
    return c.json(document, 200);
  });

  return app;
}
