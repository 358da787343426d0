// Turns any thrown error into an RFC 9457 `application/problem+json` response.
// Known errors keep their public message; anything unexpected becomes a bare
// 500 whose only clue is the request id (the cause is logged, never sent).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ConfigError, GatewayError, problemType } from "./errors.ts";
import { baseUrl, metadataUrl } from "./resource.ts";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  /** Public reason class of a refusal (e.g. `server_not_granted`). */
  reason?: string;
  errors?: { field: string; message: string; line?: number }[];
}

export function problemResponse(error: GatewayError, requestId: string | undefined, headers?: HeadersInit) {
  const body: ProblemBody = {
    type: problemType(error.kind),
    title: error.title,
    status: error.status,
  };
  if (error.detail) body.detail = error.detail;
  if (error.reason) body.reason = error.reason;
  if (error.errors.length > 0) body.errors = error.errors;
  if (requestId) body.requestId = requestId;
  const response = new Response(JSON.stringify(body), {
    status: error.status,
    headers,
  });
  for (const [name, value] of Object.entries(error.headers)) response.headers.set(name, value);
  response.headers.set("content-type", "application/problem+json");
  return response;
}

/** Maps framework exceptions to the gateway's error kinds. */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 413) return new GatewayError("payload-too-large");
    if (error.status === 400) return new GatewayError("malformed-body", { internal: error.message });
    if (error.status === 404) return new GatewayError("not-found");
    return new GatewayError("internal", { status: error.status, internal: error.message });
  }
  if (error instanceof ConfigError) {
    return new GatewayError("internal", { detail: "The gateway is misconfigured", internal: error.message });
  }
  const internal =
    error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ""}` : String(error);
  return new GatewayError("internal", { internal });
}

/**
 * A bearer challenge raised deep in a service (a 403 `insufficient_scope`)
 * does not know the request; here it gets the `resource_metadata` URL every
 * challenge of the gateway carries (RFC 9728), so clients can find where to
 * get a better token.
 */
function completeChallenge(error: GatewayError, c: Context): void {
  const challenge = error.headers["www-authenticate"];
  if (!challenge?.startsWith("Bearer ") || challenge.includes("resource_metadata=")) return;
  // Unset when the configuration failed to load: the challenge goes out as it was.
  const config = c.get("config") as { publicUrl: string | null } | undefined;
  if (config === undefined) return;
  const base = baseUrl(config.publicUrl, c.req.url);
  error.headers["www-authenticate"] =
    `Bearer resource_metadata="${metadataUrl(base, c.req.path)}", ${challenge.slice(7)}`;
}

export function handleError(error: unknown, c: Context): Response {
  const gatewayError = toGatewayError(error);
  completeChallenge(gatewayError, c);
  const requestId = c.get("requestId") as string | undefined;
  if (gatewayError.status >= 500 || gatewayError.internal) {
    // A client's mistake (4xx) is a warning, not an error of the gateway.
    const log = gatewayError.status >= 500 ? console.error : console.warn;
    log(
      JSON.stringify({
        level: gatewayError.status >= 500 ? "error" : "warn",
        requestId,
        kind: gatewayError.kind,
        status: gatewayError.status,
        internal: gatewayError.internal ?? gatewayError.message,
      }),
    );
  }
  return problemResponse(gatewayError, requestId);
}
