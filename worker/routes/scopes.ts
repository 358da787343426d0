// REST routes for the scopes configuration (admins: `manage_scopes`): read it
// as JSON or YAML, replace it with JSON or YAML. HTTP in, AccessService call,
// JSON/YAML out; the checks and validation live in the service.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import { GatewayError } from "../http/errors.ts";
import { ScopesDocumentSchema } from "../policy/scopes-document.ts";
import { isJsonMediaType, mediaTypeOf } from "../protocol/media-type.ts";
import type { ScopesFormat, ScopesView as StoredView } from "../registry/access-service.ts";
import { problem } from "./openapi-parts.ts";

const tag = ["scopes"];
const YAML_TYPES = new Set(["application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"]);
const YAML_CONTENT_TYPE = "application/yaml; charset=utf-8";

// Responses use the zod schema (which registers the ScopesDocument component);
// the request body only refers to it, so no framework validator runs before
// the service has checked manage_scopes and can report lines.
const ScopesView = z
  .object({
    revision: z.int().meta({ description: "Increases by one on every replacement (also the ETag)" }),
    updatedAt: z.string(),
    updatedBy: z.string().meta({ description: "Subject that stored it; system:default for the seed" }),
    document: ScopesDocumentSchema,
  })
  .meta({ id: "ScopesView" });
const documentRef = { $ref: "#/components/schemas/ScopesDocument" };
const yamlText = { type: "string" as const, description: "The document as YAML" };

const refusals = {
  401: problem("Missing or invalid credential"),
  403: problem("The caller lacks manage_scopes"),
};

const getRoute = createRoute({
  method: "get",
  path: "/scopes",
  tags: tag,
  summary: "Read the scopes configuration (JSON; YAML with Accept: application/yaml)",
  responses: {
    200: {
      description: "The stored configuration and its revision",
      headers: { ETag: { schema: { type: "string" }, description: 'The revision, e.g. "3"' } },
      content: { "application/json": { schema: ScopesView }, "application/yaml": { schema: yamlText } },
    },
    ...refusals,
  },
});

const exportRoute = createRoute({
  method: "get",
  path: "/scopes/export",
  tags: tag,
  summary: "Export the scopes configuration as YAML (ready for PUT /scopes)",
  responses: {
    200: { description: "The document as YAML", content: { "application/yaml": { schema: yamlText } } },
    ...refusals,
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/scopes",
  tags: tag,
  summary: "Replace the scopes configuration (JSON or YAML body; If-Match for optimistic concurrency)",
  request: {
    headers: z.object({
      "if-match": z.string().optional().meta({ description: 'Replace only from this revision, e.g. "3"' }),
    }),
    body: {
      required: true,
      content: { "application/json": { schema: documentRef }, "application/yaml": { schema: yamlText } },
    },
  },
  responses: {
    200: {
      description: "Stored as the next revision",
      content: { "application/json": { schema: ScopesView } },
    },
    400: problem("Malformed JSON or If-Match"),
    ...refusals,
    412: problem("If-Match names a revision that is no longer current"),
    413: problem("Body too large"),
    415: problem("Body is neither JSON nor YAML"),
    422: problem("Invalid document: each error names the field and, where known, the line"),
  },
});

export function scopeRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>();

  app.openapi(getRoute, async (c) => {
    const access = c.var.services.access;
    c.header("vary", "accept");
    if (prefersYaml(c.req.header("accept"))) {
      const { yaml, revision } = await access.exportYaml(c.get("principal"));
      return yamlResponse(c, yaml, revision);
    }
    const current = await access.getDocument(c.get("principal"));
    return jsonView(c, current);
  });

  app.openapi(exportRoute, async (c) => {
    const { yaml, revision } = await c.var.services.access.exportYaml(c.get("principal"));
    return yamlResponse(c, yaml, revision);
  });

  app.openapi(putRoute, async (c) => {
    const access = c.var.services.access;
    // Refuse non-admins before saying anything about their request.
    await access.requireManager(c.get("principal"));
    const format = bodyFormat(c.req.header("content-type"));
    const expected = expectedRevision(c.req.header("if-match"));
    const text = await c.req.text();
    const stored = await access.replaceDocument(c.get("principal"), text, format, expected);
    return jsonView(c, stored);
  });

  return app;
}

function jsonView(c: Context, view: StoredView) {
  c.header("etag", `"${view.revision}"`);
  return c.json(view, 200);
}

function yamlResponse(c: Context, yaml: string, revision: number) {
  c.header("etag", `"${revision}"`);
  return c.body(yaml, 200, { "content-type": YAML_CONTENT_TYPE });
}

function bodyFormat(contentType: string | undefined): ScopesFormat {
  const type = mediaTypeOf(contentType);
  if (isJsonMediaType(type)) return "json";
  if (YAML_TYPES.has(type)) return "yaml";
  throw new GatewayError("unsupported-media-type", {
    detail: `${type ? `Got ${type}; send` : "Send"} application/json or application/yaml`,
  });
}

/** YAML only when the client ranks a YAML type above JSON (ties and wildcards: JSON). */
export function prefersYaml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranked = accept
    .split(",")
    .map((entry, index) => {
      const [type = "", ...parameters] = entry.split(";").map((part) => part.trim().toLowerCase());
      const q = parameters.find((parameter) => parameter.startsWith("q="));
      return { type, q: q ? Number(q.slice(2)) : 1, index };
    })
    .filter((entry) => entry.q > 0 && (YAML_TYPES.has(entry.type) || isJsonMediaType(entry.type)))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  const best = ranked[0];
  return (
    best !== undefined &&
    YAML_TYPES.has(best.type) &&
    !ranked.some((e) => e.q === best.q && isJsonMediaType(e.type))
  );
}

/** `"3"` or `W/"3"` -> 3; `*` -> any; anything else is a malformed precondition. */
function expectedRevision(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === "*") return undefined;
  const match = /^(?:W\/)?"(\d{1,9})"$/.exec(ifMatch.trim());
  if (!match?.[1]) {
    throw new GatewayError("validation", {
      status: 400,
      errors: [{ field: "header.if-match", message: 'expected a revision ETag such as "3"' }],
    });
  }
  return Number(match[1]);
}
