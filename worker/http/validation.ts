// Zod validation failures as problem+json naming each bad field. Body fields
// get 422 (well-formed JSON, wrong content); query and path parameters get 400.
import type { Context } from "hono";
import type { z } from "zod";
import { type FieldError, GatewayError } from "./errors.ts";

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    // An unknown key is reported once per key, named in the path.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: [...issue.path, key].join("."), message: "unknown field" }));
    }
    return [{ field: issue.path.join("."), message: issue.message }];
  });
}

export function validationHook(
  result: { success: true } | { success: false; error: z.ZodError; target: string },
  _c: Context,
): void {
  if (result.success) return;
  const target = (result as { target: string }).target;
  throw new GatewayError("validation", {
    status: target === "json" ? 422 : 400,
    errors: fieldErrors(result.error).map((error) => ({
      ...error,
      field: target === "json" || error.field === "" ? error.field : `${target}.${error.field}`,
    })),
  });
}
