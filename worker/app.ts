// Builds the Hono app: middleware order, route mounting and the error handler.
// Order matters: request id first (every log and problem carries it), then
// body limits, then authentication, then the routes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import { adminTokenAuth } from "./auth/admin-token.ts";
import { GatewayError } from "./http/errors.ts";
import { limitBodySize } from "./http/json-body.ts";
import { handleError } from "./http/problem.ts";
import { serverRoutes } from "./routes/servers.ts";

export function buildApp() {
  const app = new OpenAPIHono<{ Bindings: Env }>();
  app.use(requestId({ headerName: "x-request-id" }));
  app.onError(handleError);
  app.notFound(() => {
    throw new GatewayError("not-found", { detail: "No such route" });
  });

  app.get("/health", (c) => c.json({ status: "ok" }));

  const api = new OpenAPIHono<{ Bindings: Env }>();
  api.use(limitBodySize());
  api.use("/servers/*", adminTokenAuth());
  api.use("/servers", adminTokenAuth());
  api.route("/", serverRoutes());
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "MCP Gateway & Registry API",
      version: "1.0.0",
      description: "Register and govern MCP servers. Errors are application/problem+json (RFC 9457).",
    },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.route("/api/v1", api);
  return app;
}
