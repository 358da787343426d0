// The MCP Registry API (config/mcp-registry/openapi.yaml): GET /v0.1/servers,
// /v0.1/servers/{serverName}/versions and .../versions/{version|latest},
// with /v0 as an alias. Reads only. A bearer token is needed unless
// REGISTRY_API_PUBLIC=true, which lets anonymous callers see public servers.
// Names arrive URL-encoded (`com.example%2Fweather`); the unencoded two-segment
// form is accepted too.
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { z } from "zod";
import { authenticate } from "../auth/authenticate.ts";
import { DEFAULT_TENANT, type Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import { baseUrl } from "../http/resource.ts";
import { fieldErrors } from "../http/validation.ts";

type Env_ = { Bindings: Env };

export const REGISTRY_API_VERSIONS = ["/v0.1", "/v0"] as const;

const BooleanParam = z.enum(["true", "false"]).transform((value) => value === "true");

const ListQuery = z.object({
  cursor: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(30),
  search: z.string().min(1).max(200).optional(),
  updated_since: z.iso
    .datetime({ offset: true, error: "must be an RFC 3339 date-time (e.g. 2025-08-07T13:15:04.280Z)" })
    .transform((value) => new Date(value).toISOString())
    .optional(),
  version: z.string().min(1).max(255).optional(),
  include_deleted: BooleanParam.default(false),
});

const DetailQuery = z.object({ include_deleted: BooleanParam.default(false) });

function parseQuery<T extends z.ZodType>(schema: T, c: Context<Env_>): z.output<T> {
  const result = schema.safeParse(c.req.query());
  if (result.success) return result.data;
  throw new GatewayError("validation", {
    status: 400,
    errors: fieldErrors(result.error).map((error) => ({ ...error, field: `query.${error.field}` })),
  });
}

/** A token when one is sent (it must then be valid); none only when the API is public. */
function optionalAuthentication(): MiddlewareHandler<Env_> {
  const required = authenticate();
  return async function registryAuthentication(c, next) {
    if (c.req.header("authorization") === undefined && c.var.config.registry.publicApi) return next();
    return required(c, next);
  };
}

interface Caller {
  principal: Principal | null;
  tenant: string;
  base: string;
}

function callerOf(c: Context<Env_>): Caller {
  const principal = c.get("principal") ?? null;
  return {
    principal,
    tenant: principal?.tenant ?? DEFAULT_TENANT,
    base: baseUrl(c.var.config.publicUrl, c.req.url),
  };
}

/** `com.example%2Fweather` (one segment) or `com.example/weather` (two). */
function serverName(c: Context<Env_>): string {
  const namespace = c.req.param("namespace");
  const name = c.req.param("name") ?? "";
  return namespace === undefined ? name : `${namespace}/${name}`;
}

export function registryApiRoutes() {
  const app = new Hono<Env_>();
  for (const prefix of REGISTRY_API_VERSIONS) {
    app.use(`${prefix}/servers`, optionalAuthentication());
    app.use(`${prefix}/servers/*`, optionalAuthentication());

    app.get(`${prefix}/servers`, async (c) => {
      const query = parseQuery(ListQuery, c);
      const { principal, tenant, base } = callerOf(c);
      const list = await c.var.services.registryApi.list(
        principal,
        tenant,
        {
          limit: query.limit,
          includeDeleted: query.include_deleted,
          ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
          ...(query.search !== undefined ? { search: query.search } : {}),
          ...(query.updated_since !== undefined ? { updatedSince: query.updated_since } : {}),
          ...(query.version !== undefined ? { version: query.version } : {}),
        },
        base,
      );
      return c.json(list, 200);
    });

    for (const namePattern of [":name", ":namespace/:name"]) {
      app.get(`${prefix}/servers/${namePattern}/versions`, async (c) => {
        const { include_deleted } = parseQuery(DetailQuery, c);
        const { principal, tenant, base } = callerOf(c);
        const list = await c.var.services.registryApi.versions(
          principal,
          tenant,
          serverName(c),
          include_deleted,
          base,
        );
        return c.json(list, 200);
      });

      app.get(`${prefix}/servers/${namePattern}/versions/:version`, async (c) => {
        const { include_deleted } = parseQuery(DetailQuery, c);
        const { principal, tenant, base } = callerOf(c);
        const response = await c.var.services.registryApi.version(
          principal,
          tenant,
          serverName(c),
          c.req.param("version"),
          include_deleted,
          base,
        );
        return c.json(response, 200);
      });
    }
  }
  return app;
}
