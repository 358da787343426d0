// REST routes for the audit log: GET /audit (filters, cursor) and
// GET /audit/export?format=ndjson|csv (streamed). Both need the `view_audit`
// gateway action and read only the caller's tenant.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { GatewayError } from "../http/errors.ts";
import { validationHook } from "../http/validation.ts";
import { EXPORT_CONTENT_TYPES, EXPORT_FORMATS, exportStream } from "../observability/audit-export.ts";
import { InvalidCursorError } from "../store/registry-store.ts";
import { json, problem } from "./openapi-parts.ts";

const tag = ["audit"];

const AuditEventSchema = z
  .object({
    id: z.string(),
    occurredAt: z.string(),
    tenant: z.string(),
    requestId: z.string(),
    category: z.enum(["mcp", "admin", "auth"]),
    subject: z.string().nullable().meta({ description: "Who acted (null for refused credentials)" }),
    issuer: z.string().nullable(),
    serverId: z.string().nullable(),
    serverPath: z.string().nullable(),
    method: z.string().nullable().meta({
      description: "The JSON-RPC method (mcp) or the action (`servers.update`, `auth.authenticate`)",
    }),
    tool: z.string().nullable(),
    decision: z.enum(["allow", "deny"]),
    reason: z.string().nullable(),
    outcome: z.string(),
    upstreamStatus: z.int().nullable(),
    durationMs: z.int().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable().meta({
      description:
        "Admin events: `target`, `status` and `changes` ({field: {from, to}}, secrets redacted); MCP events: policy detail and arguments when the server's auditArguments allows",
    }),
  })
  .meta({ id: "AuditEvent" });

const isoTime = z.iso
  .datetime({ offset: true })
  .meta({ description: "ISO 8601 date-time, e.g. 2026-12-06T00:00:00Z" });

const AuditFilters = z
  .object({
    from: isoTime.optional().meta({ description: "Events at or after this time" }),
    to: isoTime.optional().meta({ description: "Events before this time" }),
    category: z.enum(["mcp", "admin", "auth"]).optional(),
    subject: z.string().min(1).max(256).optional().meta({ description: "Who acted (exact)" }),
    server: z.string().min(1).max(64).optional().meta({ description: "A server's id or path" }),
    tool: z.string().min(1).max(128).optional(),
    method: z.string().min(1).max(128).optional().meta({ description: "Method or admin action (exact)" }),
    decision: z.enum(["allow", "deny"]).optional(),
    outcome: z.string().min(1).max(64).optional(),
  })
  .strict();

type Filters = z.infer<typeof AuditFilters>;

const listRoute = createRoute({
  method: "get",
  path: "/audit",
  tags: tag,
  summary: "Audit events of the caller's tenant, newest first (needs view_audit)",
  request: {
    query: AuditFilters.extend({
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.string().min(1).max(500).optional().meta({ description: "nextCursor of the previous page" }),
    }).strict(),
  },
  responses: {
    200: json(
      z
        .object({ items: z.array(AuditEventSchema), nextCursor: z.string().nullable() })
        .meta({ id: "AuditPage" }),
      "A page of events",
    ),
    400: problem("Invalid filter (the problem names the field)"),
    401: problem("Missing or invalid credential"),
    403: problem("The caller lacks view_audit"),
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/audit/export",
  tags: tag,
  summary: "Every matching audit event as NDJSON or CSV, streamed (needs view_audit)",
  request: { query: AuditFilters.extend({ format: z.enum(EXPORT_FORMATS).default("ndjson") }).strict() },
  responses: {
    200: {
      description:
        "One event per line (NDJSON), or CSV with a header row (RFC 4180 quoting; text starting with = + - @ gets a leading ')",
      content: {
        "application/x-ndjson": { schema: z.string() },
        "text/csv": { schema: z.string() },
      },
    },
    400: problem("Invalid filter (the problem names the field)"),
    401: problem("Missing or invalid credential"),
    403: problem("The caller lacks view_audit"),
  },
});

export function auditRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const tenant = await requireViewAudit(c);
    const query = normalised(c.req.valid("query"));
    try {
      return c.json(await c.var.services.auditLog.list(tenant, query), 200);
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new GatewayError("validation", {
          status: 400,
          errors: [{ field: "query.cursor", message: "not a cursor from a previous page" }],
        });
      }
      throw error;
    }
  });

  app.openapi(exportRoute, async (c) => {
    const tenant = await requireViewAudit(c);
    const { format, ...filters } = c.req.valid("query");
    const stream = exportStream(c.var.services.auditLog, tenant, normalised(filters), format);
    const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "-");
    return new Response(stream, {
      status: 200,
      headers: {
        "content-type": EXPORT_CONTENT_TYPES[format],
        "content-disposition": `attachment; filename="audit-${stamp}.${format}"`,
        "cache-control": "no-store",
      },
    }) as never;
  });

  return app;
}

async function requireViewAudit(c: Context<{ Bindings: Env }>): Promise<string> {
  const principal = c.get("principal");
  await c.var.services.access.require(principal, { kind: "registry", action: "view_audit" });
  return principal.tenant;
}

/** Times in the stored form (UTC, `Z`), so they compare as text; `to` must follow `from`. */
function normalised<F extends Filters>(filters: F): F {
  const from = filters.from ? new Date(filters.from).toISOString() : undefined;
  const to = filters.to ? new Date(filters.to).toISOString() : undefined;
  if (from && to && from >= to) {
    throw new GatewayError("validation", {
      status: 400,
      errors: [{ field: "query.to", message: "must be after `from`" }],
    });
  }
  return { ...filters, from, to };
}
