// REST routes for security findings: GET /servers/{id}/findings and
// GET /findings (filters, cursor). HTTP in, FindingService call, JSON out.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { validationHook } from "../http/validation.ts";
import { FINDING_CATEGORIES, SEVERITIES } from "../store/finding-model.ts";
import { SecurityFinding } from "./api-schemas.ts";
import { json, problem } from "./openapi-parts.ts";

const tag = ["security"];

const StoredFinding = SecurityFinding.extend({
  id: z.int(),
  serverId: z.string(),
  analyzer: z.string(),
  entryFingerprint: z.string(),
  foundAt: z.string(),
}).meta({ id: "StoredSecurityFinding" });

const FindingPage = z
  .object({ items: z.array(StoredFinding), nextCursor: z.string().nullable() })
  .meta({ id: "SecurityFindingPage" });

const FindingFilters = z
  .object({
    severity: z.enum(SEVERITIES).optional().meta({ description: "At least this severity" }),
    category: z.enum(FINDING_CATEGORIES).optional(),
    rule: z.string().max(100).optional(),
    kind: z.enum(["tool", "resource", "resource_template", "prompt"]).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

const listRoute = createRoute({
  method: "get",
  path: "/findings",
  tags: tag,
  summary: "Security findings of the servers the caller may list (newest first)",
  request: { query: FindingFilters.extend({ server: z.string().max(64).optional() }).strict() },
  responses: {
    200: json(FindingPage, "A page of findings"),
    400: problem("Invalid query"),
    401: problem("Missing or invalid credential"),
  },
});

const serverRoute = createRoute({
  method: "get",
  path: "/servers/{id}/findings",
  tags: tag,
  summary: "Security findings of one server's current catalog",
  request: { params: z.object({ id: z.string().min(1).max(64) }), query: FindingFilters },
  responses: {
    200: json(FindingPage, "A page of findings"),
    400: problem("Invalid query"),
    401: problem("Missing or invalid credential"),
    404: problem("No such server"),
  },
});

export function findingRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { server, severity, rule, ...rest } = c.req.valid("query");
    const page = await c.var.services.findingService.list(c.get("principal"), {
      ...rest,
      serverId: server,
      minSeverity: severity,
      ruleId: rule,
    });
    return c.json(page, 200);
  });

  app.openapi(serverRoute, async (c) => {
    const { severity, rule, ...rest } = c.req.valid("query");
    const page = await c.var.services.findingService.forServer(c.get("principal"), c.req.valid("param").id, {
      ...rest,
      minSeverity: severity,
      ruleId: rule,
    });
    return c.json(page, 200);
  });

  return app;
}
