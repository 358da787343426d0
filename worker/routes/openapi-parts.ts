// Building blocks for route definitions, so every route describes its
// responses and bodies the same way in the OpenAPI document.
import type { z } from "zod";
import { Problem } from "./api-schemas.ts";

/** An error response: RFC 9457 problem details. */
export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

/** A JSON response of `schema`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body of `schema`. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});
