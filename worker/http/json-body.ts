// Request-body guards for the REST API: a size limit checked before the body
// is read, and a JSON media type on routes that take a body (Hono's validator
// would otherwise treat a form or text body as an empty object).
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { isJsonMediaType, mediaTypeOf } from "../protocol/media-type.ts";
import { GatewayError } from "./errors.ts";

export function limitBodySize(): MiddlewareHandler<{ Bindings: Env }> {
  return async function limitBodySizeMiddleware(c, next) {
    return limitFor(c.get("config").maxBodyBytes)(c, next);
  };
}

// One Hono bodyLimit per configured size (built once, not on every request).
const limits = new Map<number, MiddlewareHandler>();

function limitFor(maxSize: number): MiddlewareHandler {
  let limit = limits.get(maxSize);
  if (limit === undefined) {
    limit = bodyLimit({
      maxSize,
      onError: () => {
        throw payloadTooLarge(maxSize);
      },
    });
    limits.set(maxSize, limit);
  }
  return limit;
}

/** The 413 of a body over the limit (problem+json). */
export function payloadTooLarge(maxSize: number): GatewayError {
  return new GatewayError("payload-too-large", { detail: `The body may be at most ${maxSize} bytes` });
}

export function requireJsonBody(): MiddlewareHandler {
  return async function requireJsonBodyMiddleware(c, next) {
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isJsonMediaType(mediaType)) {
      throw new GatewayError("unsupported-media-type", {
        detail: mediaType
          ? `Got ${mediaType}; send application/json`
          : "Send a JSON body with Content-Type: application/json",
      });
    }
    await next();
  };
}
