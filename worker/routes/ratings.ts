// REST routes for star ratings of servers and agents:
// POST/GET/DELETE /{servers|agents}/{id}/rating (your own) and
// GET /{servers|agents}/{id}/ratings (administrators).
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { requireJsonBody } from "../http/json-body.ts";
import { validationHook } from "../http/validation.ts";
import type { RatedKind } from "../store/rating-store.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";
import { MyRatingSchema, RatingInput, RatingList } from "./rating-schemas.ts";

const IdParam = z.object({ id: z.string().min(1).max(64) });
const SEGMENTS: Record<"servers" | "agents", RatedKind> = { servers: "server", agents: "agent" };
const common = {
  401: problem("Missing or invalid credential"),
  403: problem("Not allowed"),
  404: problem("No such entry (or not visible to you)"),
};

const routesFor = (segment: "servers" | "agents") => {
  const tags = ["ratings"];
  const noun = SEGMENTS[segment];
  return {
    rate: createRoute({
      method: "post",
      path: `/${segment}/{id}/rating`,
      tags,
      summary: `Rate a${noun === "agent" ? "n" : ""} ${noun} 1-5 stars (replaces your earlier rating)`,
      middleware: [requireJsonBody()] as const,
      request: { params: IdParam, body: jsonBody(RatingInput) },
      responses: {
        200: json(MyRatingSchema, "The new summary and your rating"),
        ...common,
        415: problem("Body is not JSON"),
        422: problem("rating must be an integer from 1 to 5"),
      },
    }),
    mine: createRoute({
      method: "get",
      path: `/${segment}/{id}/rating`,
      tags,
      summary: `The ${noun}'s rating summary and your own rating`,
      request: { params: IdParam },
      responses: { 200: json(MyRatingSchema, "Summary and your rating"), ...common },
    }),
    unrate: createRoute({
      method: "delete",
      path: `/${segment}/{id}/rating`,
      tags,
      summary: "Remove your rating",
      request: { params: IdParam },
      responses: { 200: json(MyRatingSchema, "The new summary"), ...common },
    }),
    list: createRoute({
      method: "get",
      path: `/${segment}/{id}/ratings`,
      tags,
      summary: "The individual ratings, newest first (administrators)",
      request: { params: IdParam },
      responses: { 200: json(RatingList, "Kept ratings"), ...common },
    }),
  };
};

export function ratingRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });
  for (const segment of ["servers", "agents"] as const) {
    const kind = SEGMENTS[segment];
    const routes = routesFor(segment);
    app.openapi(routes.rate, async (c) => {
      const { id } = c.req.valid("param");
      const { rating } = c.req.valid("json");
      return c.json(await c.var.services.ratings.rate(c.get("principal"), kind, id, rating), 200);
    });
    app.openapi(routes.mine, async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await c.var.services.ratings.mine(c.get("principal"), kind, id), 200);
    });
    app.openapi(routes.unrate, async (c) => {
      const { id } = c.req.valid("param");
      return c.json(await c.var.services.ratings.unrate(c.get("principal"), kind, id), 200);
    });
    app.openapi(routes.list, async (c) => {
      const { id } = c.req.valid("param");
      return c.json({ items: await c.var.services.ratings.list(c.get("principal"), kind, id) }, 200);
    });
  }
  return app;
}
