// REST routes for tool pinning: GET /approvals, POST /approvals/{id}/approve
// and /reject. Each approval shows the approved definition and the pending
// one side by side. Deciding needs `modify_service` on the server.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { validationHook } from "../http/validation.ts";
import { json, problem } from "./openapi-parts.ts";

const tag = ["security"];

const Approval = z
  .object({
    id: z.string(),
    serverId: z.string(),
    key: z.string().meta({ description: "The tool's name" }),
    status: z.enum(["approved", "pending", "rejected"]),
    reason: z.enum(["new", "changed", "flagged"]).meta({
      description:
        "Why it waits: a new tool (TOOL_APPROVAL=manual), a changed definition, or a security finding under a hold policy",
    }),
    approvedFingerprint: z.string().nullable(),
    approvedDefinition: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "What clients see now (old)" }),
    pendingFingerprint: z.string().nullable(),
    pendingDefinition: z
      .record(z.string(), z.unknown())
      .nullable()
      .meta({ description: "What the upstream serves now (new)" }),
    updatedAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: "ToolApproval" });

const ListedApproval = Approval.extend({ serverPath: z.string() }).meta({ id: "ListedToolApproval" });

const listRoute = createRoute({
  method: "get",
  path: "/approvals",
  tags: tag,
  summary: "Tool approvals of servers the caller may modify (default: pending ones)",
  request: {
    query: z
      .object({
        status: z.enum(["approved", "pending", "rejected"]).default("pending"),
        server: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(100),
      })
      .strict(),
  },
  responses: {
    200: json(z.object({ items: z.array(ListedApproval) }), "Approvals, newest first"),
    400: problem("Invalid query"),
    401: problem("Missing or invalid credential"),
  },
});

const decideRoute = (verdict: "approve" | "reject") =>
  createRoute({
    method: "post",
    path: `/approvals/{id}/${verdict}`,
    tags: tag,
    summary:
      verdict === "approve"
        ? "Approve the pending definition: the tool is served again on every MCP endpoint"
        : "Reject the pending definition: the tool stays held until the upstream changes it",
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: {
      200: json(Approval, "The decided approval"),
      401: problem("Missing or invalid credential"),
      403: problem("Not allowed"),
      404: problem("No such approval"),
      409: problem("Not pending, or changed meanwhile"),
    },
  });

export function approvalRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(listRoute, async (c) => {
    const { server, ...query } = c.req.valid("query");
    const items = await c.var.services.approvals.list(c.get("principal"), { ...query, serverId: server });
    return c.json({ items }, 200);
  });

  for (const verdict of ["approve", "reject"] as const) {
    app.openapi(decideRoute(verdict), async (c) => {
      const approval = await c.var.services.approvals.decide(
        c.get("principal"),
        c.req.valid("param").id,
        verdict,
      );
      return c.json(approval, 200);
    });
  }

  return app;
}
