// REST routes for virtual servers: HTTP in, service call, JSON out.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { requireJsonBody } from "../http/json-body.ts";
import { validationHook } from "../http/validation.ts";
import {
  VirtualPromptInput,
  VirtualResourceInput,
  VirtualServerCreateInput,
  VirtualServerUpdateInput,
  VirtualToolInput,
} from "../virtual/virtual-server-input.ts";
import { json, jsonBody, problem } from "./openapi-parts.ts";

const tag = ["virtual servers"];
const IdParam = z.object({ id: z.string().min(1).max(64) });
const common = {
  401: problem("Missing or invalid credential"),
  403: problem("Not allowed"),
  404: problem("No such virtual server"),
};

export const VirtualServerView = z
  .object({
    id: z.string(),
    tenant: z.string(),
    name: z.string(),
    description: z.string(),
    mode: z.enum(["tools", "discovery"]),
    tools: z.array(VirtualToolInput),
    resources: z.array(VirtualResourceInput),
    prompts: z.array(VirtualPromptInput),
    enabled: z.boolean(),
    owner: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    endpoint: z.string().meta({ description: "Path of its MCP endpoint: /v/{name}/mcp" }),
  })
  .meta({ id: "VirtualServer" });

const refused = {
  409: problem(
    "The name is taken (by a virtual server or a server path), or two items share an exposed name",
  ),
  415: problem("Body is not JSON"),
  422: problem("Invalid fields, or an unknown server, tool, resource or prompt (named in errors[])"),
};

const createVirtual = createRoute({
  method: "post",
  path: "/virtual-servers",
  tags: tag,
  summary: "Create a virtual server: a curated MCP endpoint over tools of registered servers",
  middleware: [requireJsonBody()] as const,
  request: { body: jsonBody(VirtualServerCreateInput) },
  responses: {
    201: json(VirtualServerView, "Created"),
    400: problem("Malformed JSON"),
    401: common[401],
    403: common[403],
    ...refused,
  },
});

const listVirtual = createRoute({
  method: "get",
  path: "/virtual-servers",
  tags: tag,
  summary: "List the virtual servers you may see (by name)",
  responses: {
    200: json(z.object({ items: z.array(VirtualServerView) }), "The virtual servers"),
    401: common[401],
  },
});

const getVirtual = createRoute({
  method: "get",
  path: "/virtual-servers/{id}",
  tags: tag,
  summary: "Get one virtual server",
  request: { params: IdParam },
  responses: { 200: json(VirtualServerView, "The virtual server"), ...common },
});

const updateVirtual = createRoute({
  method: "patch",
  path: "/virtual-servers/{id}",
  tags: tag,
  summary: "Change some fields of a virtual server (a given item list replaces the stored one)",
  middleware: [requireJsonBody()] as const,
  request: { params: IdParam, body: jsonBody(VirtualServerUpdateInput) },
  responses: { 200: json(VirtualServerView, "The updated virtual server"), ...common, ...refused },
});

const deleteVirtual = createRoute({
  method: "delete",
  path: "/virtual-servers/{id}",
  tags: tag,
  summary: "Delete a virtual server",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...common },
});

const enablement = (action: "enable" | "disable") =>
  createRoute({
    method: "post",
    path: `/virtual-servers/{id}/${action}`,
    tags: tag,
    summary: `${action === "enable" ? "Enable" : "Disable"} a virtual server`,
    request: { params: IdParam },
    responses: { 200: json(VirtualServerView, "The virtual server"), ...common },
  });

export function virtualServerRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(createVirtual, async (c) => {
    const created = await c.var.services.virtualServers.create(c.get("principal"), c.req.valid("json"));
    c.header("location", `/api/v1/virtual-servers/${created.id}`);
    return c.json(created, 201);
  });

  app.openapi(listVirtual, async (c) =>
    c.json(await c.var.services.virtualServers.list(c.get("principal")), 200),
  );

  app.openapi(getVirtual, async (c) =>
    c.json(await c.var.services.virtualServers.get(c.get("principal"), c.req.valid("param").id), 200),
  );

  app.openapi(updateVirtual, async (c) => {
    const { id } = c.req.valid("param");
    return c.json(
      await c.var.services.virtualServers.update(c.get("principal"), id, c.req.valid("json")),
      200,
    );
  });

  app.openapi(deleteVirtual, async (c) => {
    await c.var.services.virtualServers.delete(c.get("principal"), c.req.valid("param").id);
    return c.body(null, 204);
  });

  for (const action of ["enable", "disable"] as const) {
    app.openapi(enablement(action), async (c) => {
      const { id } = c.req.valid("param");
      const updated = await c.var.services.virtualServers.setEnabled(
        c.get("principal"),
        id,
        action === "enable",
      );
      return c.json(updated, 200);
    });
  }

  return app;
}
