// Interim authentication: a single admin bearer credential taken from the
// ADMIN_TOKEN secret. The identity work replaces this middleware with JWT
// validation; everything downstream only sees the Principal it produces.
import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../env.ts";
import { GatewayError } from "../http/errors.ts";
import { problemResponse } from "../http/problem.ts";
import { DEFAULT_TENANT, type Principal } from "./principal.ts";

const ADMIN_PRINCIPAL: Principal = {
  subject: "admin",
  issuer: "gateway",
  tenant: DEFAULT_TENANT,
  groups: ["admin"],
  scopes: ["admin"],
  kind: "user",
};

const encoder = new TextEncoder();

/** Compares secrets in constant time (hashing first makes the lengths equal). */
async function sameSecret(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(presented)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer ([\x21-\x7e]+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}

export function adminTokenAuth(): MiddlewareHandler<{ Bindings: Env }> {
  return async function adminTokenAuthMiddleware(c, next) {
    const expected = loadConfig(c.env).adminToken;
    const presented = bearerToken(c.req.header("authorization"));
    if (presented === null || !(await sameSecret(presented, expected))) {
      const error = new GatewayError("unauthorized", {
        detail:
          presented === null ? "Send the admin credential as a Bearer token" : "The credential is not valid",
      });
      return problemResponse(error, c.get("requestId"), {
        "www-authenticate": `Bearer realm="mcp-gateway"${presented === null ? "" : ', error="invalid_token"'}`,
      });
    }
    c.set("principal", ADMIN_PRINCIPAL);
    await next();
  };
}
