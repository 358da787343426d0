// REST routes for federation sources: add, list, get, delete, sync now.
// Needs `manage_federation` (checked by FederationService).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { SourceCreateInput } from "../federation/source-input.ts";
import { requireJsonBody } from "../http/json-body.ts";
import { validationHook } from "../http/validation.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";

const tag = ["federation"];
const IdParam = z.object({ id: z.string().min(1).max(64) });

const Outcome = z.enum(["imported", "updated", "unchanged", "deleted", "skipped"]);
const SyncReport = z
  .object({
    startedAt: z.string(),
    finishedAt: z.string(),
    status: z.enum(["ok", "partial", "failed"]),
    error: z.string().nullable(),
    trigger: z.enum(["manual", "scheduled"]),
    counts: z.object({
      seen: z.int(),
      imported: z.int(),
      updated: z.int(),
      unchanged: z.int(),
      deleted: z.int(),
      skipped: z.int(),
    }),
    entries: z.array(
      z.object({
        name: z.string(),
        version: z.string().nullable(),
        outcome: Outcome,
        reason: z.string().nullable(),
        serverId: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: "FederationSyncReport" });

const Source = z
  .object({
    id: z.string(),
    tenant: z.string(),
    name: z.string(),
    url: z.string(),
    mode: z.enum(["all", "selected"]),
    servers: z.array(z.string()),
    syncIntervalMinutes: z.int().nullable(),
    auth: z.object({ secret: z.string() }).nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSyncAt: z.string().nullable(),
    lastSync: SyncReport.nullable(),
  })
  .meta({ id: "FederationSource" });

const common = {
  401: problem("Missing or invalid credential"),
  403: problem("manage_federation not granted"),
};

const createSourceRoute = createRoute({
  method: "post",
  path: "/federation/sources",
  tags: tag,
  summary: "Add a registry to import servers from (nothing is imported until a sync)",
  middleware: [requireJsonBody()] as const,
  request: { body: jsonBody(SourceCreateInput) },
  responses: {
    201: json(Source, "The source"),
    ...common,
    409: problem("A source of that name exists"),
    415: problem("Body is not JSON"),
    422: problem("Invalid fields"),
  },
});

const listSourcesRoute = createRoute({
  method: "get",
  path: "/federation/sources",
  tags: tag,
  summary: "List federation sources with their last sync",
  responses: { 200: json(z.object({ items: z.array(Source) }), "The sources"), ...common },
});

const getSourceRoute = createRoute({
  method: "get",
  path: "/federation/sources/{id}",
  tags: tag,
  summary: "One source with its last sync report (counts and a line per entry)",
  request: { params: IdParam },
  responses: { 200: json(Source, "The source"), ...common, 404: problem("No such source") },
});

const deleteSourceRoute = createRoute({
  method: "delete",
  path: "/federation/sources/{id}",
  tags: tag,
  summary: "Remove a source; its servers stay, marked deleted and disabled",
  request: { params: IdParam },
  responses: { 204: { description: "Removed" }, ...common, 404: problem("No such source") },
});

const syncSourceRoute = createRoute({
  method: "post",
  path: "/federation/sources/{id}/sync",
  tags: tag,
  summary: "Synchronise now: import new servers, update changed ones, mark removed ones deleted",
  request: { params: IdParam },
  responses: {
    200: json(Source, "The source with the report of this sync (a failed read is reported, not an error)"),
    ...common,
    404: problem("No such source"),
  },
});

export function federationRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(createSourceRoute, async (c) => {
    const source = await c.var.services.federation.create(c.get("principal"), c.req.valid("json"));
    c.header("location", `/api/v1/federation/sources/${source.id}`);
    return c.json(source, 201);
  });

  app.openapi(listSourcesRoute, async (c) => {
    const items = await c.var.services.federation.list(c.get("principal"));
    return c.json({ items }, 200);
  });

  app.openapi(getSourceRoute, async (c) => {
    const source = await c.var.services.federation.get(c.get("principal"), c.req.valid("param").id);
    return c.json(source, 200);
  });

  app.openapi(deleteSourceRoute, async (c) => {
    await c.var.services.federation.delete(c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  });

  app.openapi(syncSourceRoute, async (c) => {
    const source = await c.var.services.federation.syncNow(c.get("principal"), c.req.valid("param").id);
    return c.json(source, 200);
  });

  return app;
}
