// Route of the aggregated endpoint `/mcp`: the gateway itself as an MCP server.
// Thin: Origin check, authentication and the body limit, then the protocol
// generation decides the leg. Stateless 2026-07-28 requests are served here;
// session-based (2025-era) requests go to the session's McpSession Durable
// Object (`initialize` creates one), which serves them.

import { isInitializeRequest, isJsonContentType, isLegacyRequest } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import { Hono } from "hono";
import { sessionNotFound, sessionObjectName } from "../../durable-objects/mcp-session.ts";
import { authenticate } from "../auth/authenticate.ts";
import { loadConfig } from "../env.ts";
import { limitBodySize } from "../http/json-body.ts";
import { mcpOriginCheck } from "../http/origin.ts";
import { mcpRateLimit } from "../resilience/request-rate-limit.ts";
import { GatewayExchange, type Generation } from "../aggregated/gateway-exchange.ts";
import { serveStateless } from "../aggregated/gateway-serving.ts";
import {
  ErrorCode,
  errorResponse,
  JsonRpcParseError,
  type ParsedBody,
  parseJsonRpcBody,
} from "../protocol/jsonrpc.ts";
import { getServices } from "../services.ts";

type Env_ = { Bindings: Env };

/** Session ids the gateway mints: 32 random bytes, hex. Anything else cannot name a session. */
const SESSION_ID = /^[0-9a-f]{64}$/;

export function aggregatedMcpRoutes() {
  const app = new Hono<Env_>();
  app.use("/mcp", mcpOriginCheck(), authenticate(), mcpRateLimit(), limitBodySize());
  app.on(["GET", "POST", "DELETE"], "/mcp", serveAggregated);
  app.all("/mcp", () =>
    jsonRpcError(405, ErrorCode.InvalidRequest, "Method not allowed", { allow: "GET, POST, DELETE" }),
  );
  return app;
}

async function serveAggregated(c: Context<Env_>): Promise<Response> {
  const request = c.req.raw;
  if (request.method === "POST" && !isJsonContentType(request.headers.get("content-type"))) {
    return jsonRpcError(415, ErrorCode.InvalidRequest, "Unsupported Media Type: send application/json");
  }
  const config = loadConfig(c.env);
  const legacy = await isLegacyRequest(request, undefined, { maxRequestBodySize: config.maxBodyBytes });
  if (!legacy) return serveStateless(exchangeFor(c, "stateless"), request);
  return serveSessionLeg(c, request);
}

function exchangeFor(c: Context<Env_>, generation: Generation): GatewayExchange {
  return new GatewayExchange({
    services: getServices(c.env),
    config: loadConfig(c.env),
    env: c.env,
    principal: c.get("principal"),
    requestId: requestIdOf(c),
    waitUntil: c.executionCtx,
    generation,
  });
}

/** Session-based clients: `initialize` opens a session; every other request names one. */
async function serveSessionLeg(c: Context<Env_>, request: Request): Promise<Response> {
  const principal = c.get("principal");
  const sessionId = request.headers.get("mcp-session-id");
  if (sessionId === null) {
    const refusal = request.method === "POST" ? await sessionlessRefusal(request) : MISSING_SESSION;
    if (refusal === null) {
      const id = newSessionId();
      return sessionStub(c.env, id).open(request, principal, id, requestIdOf(c));
    }
    const exchange = exchangeFor(c, "session");
    exchange.rejected(refusal.reason, refusal.method);
    exchange.record();
    return jsonRpcError(400, refusal.code, refusal.message);
  }
  if (!SESSION_ID.test(sessionId)) return sessionNotFound();
  const stub = sessionStub(c.env, sessionId);
  if (request.method === "DELETE") return stub.end(principal, requestIdOf(c));
  return stub.handle(request, principal, requestIdOf(c));
}

function sessionStub(env: Env, sessionId: string) {
  return env.MCP_SESSION.getByName(sessionObjectName(sessionId));
}

interface Refusal {
  code: number;
  message: string;
  /** For the audit. */
  reason: string;
  method: string | null;
}

const MISSING_SESSION: Refusal = {
  code: ErrorCode.InvalidRequest,
  message: "Bad Request: Mcp-Session-Id header is required",
  reason: "no_session",
  method: null,
};

/** Null for an `initialize` request (it opens a session); otherwise why a session-less POST is refused. */
async function sessionlessRefusal(request: Request): Promise<Refusal | null> {
  let parsed: ParsedBody;
  try {
    parsed = parseJsonRpcBody(await request.clone().text());
  } catch (error) {
    if (!(error instanceof JsonRpcParseError)) throw error;
    const reason = error.code === ErrorCode.ParseError ? "parse_error" : "invalid_request";
    return { code: error.code, message: error.message, reason, method: null };
  }
  const [first] = parsed.messages;
  if (!parsed.batch && first !== undefined && isInitializeRequest(first.message)) return null;
  const method = first !== undefined && first.type !== "response" ? first.method : null;
  return { ...MISSING_SESSION, method };
}

function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function requestIdOf(c: Context<Env_>): string {
  return c.get("requestId") ?? crypto.randomUUID();
}

function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json(errorResponse(null, code, message), { status, headers });
}
