// REST routes of server health: the live state of one server (its
// ServerState object: health history, circuits, catalog changes), and the
// live-health WebSocket for dashboards. Browsers cannot put a bearer token on
// a WebSocket, so the client first POSTs for a one-time ticket (authenticated
// as usual) and then opens `GET /api/v1/health/live?ticket=...`, which needs
// no Authorization header. The ticket names the tenant's HealthHub object.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { GatewayError } from "../http/errors.ts";
import { isAllowedOrigin } from "../http/origin.ts";
import { validationHook } from "../http/validation.ts";
import { healthHubStub } from "../platform/durable-objects.ts";
import { base64urlDecode, base64urlEncode } from "../platform/encoding.ts";
import { HealthSummary } from "./api-schemas.ts";
import { problem } from "./openapi-parts.ts";

/** The live-health WebSocket: excluded from bearer authentication (the ticket authenticates). */
export const LIVE_HEALTH_PATH = "/api/v1/health/live";

const IdParam = z.object({ id: z.string().min(1).max(64) });

const CircuitView = z.object({
  url: z.string(),
  phase: z.enum(["closed", "open", "half-open"]),
  failures: z.int(),
  retryAt: z.string().nullable(),
  changedAt: z.string(),
  reason: z.string().nullable(),
});

const ServerState = z
  .object({
    serverId: z.string(),
    health: HealthSummary,
    circuits: z.array(CircuitView),
    history: z.array(
      z.object({
        at: z.string(),
        status: z.enum(["healthy", "degraded", "unhealthy", "unknown"]),
        latencyMs: z.number().nullable(),
        trigger: z.enum(["schedule", "manual"]),
        replicas: z.array(
          z.object({
            url: z.string(),
            ok: z.boolean(),
            latencyMs: z.number().nullable(),
            error: z.string().nullable(),
          }),
        ),
      }),
    ),
    catalogChanges: z.array(
      z.object({
        at: z.string(),
        trigger: z.enum(["schedule", "manual"]),
        status: z.enum(["pending", "ok", "unreachable"]),
        error: z.string().nullable(),
        changes: z.array(
          z.object({
            kind: z.enum(["tool", "resource", "resource_template", "prompt"]),
            key: z.string(),
            change: z.enum(["added", "removed", "changed"]),
            before: z.string().optional(),
            after: z.string().optional(),
          }),
        ),
      }),
    ),
    nextCheckAt: z.string().nullable(),
  })
  .meta({ id: "ServerState", description: "Live health, circuits and catalog changes of one server" });

const Ticket = z
  .object({
    ticket: z.string(),
    expiresAt: z.string(),
    url: z.string().meta({ description: "Open a WebSocket here (same origin) within a minute; usable once" }),
  })
  .meta({ id: "LiveHealthTicket" });

const stateRoute = createRoute({
  method: "get",
  path: "/servers/{id}/health",
  tags: ["servers"],
  summary: "Live health of one server: status, history, circuit breakers, catalog changes",
  request: { params: IdParam },
  responses: {
    200: { description: "The server's state", content: { "application/json": { schema: ServerState } } },
    401: problem("Missing or invalid credential"),
    404: problem("No such server"),
  },
});

const ticketRoute = createRoute({
  method: "post",
  path: "/health/tickets",
  tags: ["health"],
  summary: "A one-time ticket for the live-health WebSocket (GET /api/v1/health/live?ticket=...)",
  responses: {
    201: { description: "The ticket", content: { "application/json": { schema: Ticket } } },
    401: problem("Missing or invalid credential"),
  },
});

export function healthRoutes() {
  const app = new OpenAPIHono<{ Bindings: Env }>({ defaultHook: validationHook });

  app.openapi(stateRoute, async (c) => {
    const state = await c.var.services.servers.state(c.get("principal"), c.req.valid("param").id);
    return c.json(state, 200);
  });

  app.openapi(ticketRoute, async (c) => {
    const principal = c.get("principal");
    const hub = healthHubStub(c.env, principal.tenant);
    const issued = await hub.issueTicket(principal);
    // The tenant rides in the ticket so the upgrade finds the right hub without a lookup.
    const ticket = `${base64urlEncode(new TextEncoder().encode(principal.tenant))}.${issued.ticket}`;
    return c.json({ ticket, expiresAt: issued.expiresAt, url: `${LIVE_HEALTH_PATH}?ticket=${ticket}` }, 201);
  });

  app.get("/health/live", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new GatewayError("validation", {
        status: 426,
        detail: "Open this URL as a WebSocket",
        headers: { upgrade: "websocket" },
      });
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !isAllowedOrigin(origin, c.req.url, c.var.config)) {
      throw new GatewayError("forbidden", { detail: "Origin not allowed" });
    }
    const [encodedTenant, secret] = (c.req.query("ticket") ?? "").split(".");
    const tenant = encodedTenant ? fromBase64url(encodedTenant) : null;
    if (tenant === null || !secret) {
      throw new GatewayError("unauthorized", {
        detail: "A ticket from POST /api/v1/health/tickets is required",
      });
    }
    const hub = healthHubStub(c.env, tenant);
    const url = new URL(c.req.url);
    url.search = `?ticket=${encodeURIComponent(secret)}`;
    return hub.fetch(new Request(url, c.req.raw));
  });

  return app;
}

/** The tenant travels in the ticket as base64url of its UTF-8 text. */
function fromBase64url(text: string): string | null {
  const bytes = base64urlDecode(text, 400);
  if (bytes === null || bytes.length === 0) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}
