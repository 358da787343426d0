// GET /api/v1/usage: MCP usage of the caller's tenant over a window, from the
// per-minute rollups (worker/observability/usage-report.ts). Needs the
// `view_metrics` registry action.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { validationHook } from "../http/validation.ts";
import { USAGE_WINDOWS, type UsageWindow, usageReport, windowRange } from "../observability/usage-report.ts";
import { json, problem } from "./openapi-parts.ts";

const UsageQuery = z
  .object({
    window: z
      .enum(Object.keys(USAGE_WINDOWS) as [UsageWindow, ...UsageWindow[]])
      .default("24h")
      .meta({
        description: "How far back: 1h (1-minute points), 24h (15-minute points), 7d (hourly points)",
      }),
    server: z.string().min(1).max(64).optional().meta({ description: "Only this server path" }),
    tool: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .meta({ description: "Only this tool (with or without server)" }),
  })
  .strict();

const Stats = {
  calls: z.int(),
  errors: z
    .int()
    .meta({ description: "Requests whose outcome was not ok (includes denied and rate-limited)" }),
  denied: z.int(),
  rateLimited: z.int(),
  errorRate: z.number().meta({ description: "errors / calls (0 without calls)" }),
  p50Ms: z
    .number()
    .nullable()
    .meta({ description: "Median total latency, estimated from histogram buckets" }),
  p95Ms: z.number().nullable(),
};

const UsageResponse = z
  .object({
    window: z.string(),
    from: z.string(),
    to: z.string(),
    stepSeconds: z.int(),
    totals: z.object(Stats),
    series: z.array(z.object({ at: z.string(), ...Stats })),
    servers: z.array(z.object({ server: z.string(), ...Stats, series: z.array(z.int()) })),
    tools: z
      .array(z.object({ server: z.string(), tool: z.string(), ...Stats, series: z.array(z.int()) }))
      .meta({ description: "Top 10 tools by calls" }),
    callers: z
      .array(z.object({ caller: z.string(), ...Stats }))
      .meta({ description: "Top 10 callers by calls" }),
  })
  .meta({ id: "UsageReport" });

const usageRoute = createRoute({
  method: "get",
  path: "/usage",
  tags: ["observability"],
  summary: "MCP usage over time: calls, errors, latency percentiles, top tools and callers",
  request: { query: UsageQuery },
  responses: {
    200: json(UsageResponse, "The usage report"),
    400: problem("Invalid query parameters"),
    401: problem("Missing or invalid credential"),
    403: problem("The caller lacks view_metrics"),
  },
});

export function usageRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });
  app.openapi(usageRoute, async (c) => {
    const services = c.var.services;
    const principal = c.get("principal");
    await services.access.require(principal, { kind: "registry", action: "view_metrics" });
    const { window, server, tool } = c.req.valid("query");
    const now = Date.now();
    // This isolate's last few milliseconds of increments, so a report right after traffic includes them.
    await services.metrics.flush();
    const rows = await services.metrics.store.usage({
      tenant: principal.tenant,
      ...windowRange(window, now),
      server,
      tool,
    });
    return c.json(usageReport(rows, window, now), 200);
  });
  return app;
}
