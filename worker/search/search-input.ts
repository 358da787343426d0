// The search API's input: `GET /api/v1/search` query parameters. Unknown
// parameters are refused (a misspelt filter must not silently widen a search).
import { z } from "zod";
import type { AgentHitKind } from "./agent-search.ts";
import { DOCUMENT_KINDS, type DocumentKind } from "./ports.ts";
import { MAX_SEARCH_LIMIT } from "./search-service.ts";

/** Longest query accepted; a request is a sentence or a paragraph, not a document. */
export const MAX_QUERY_CHARS = 1_000;

/** Tools and servers come from the index; agents and their skills from the agent registry. */
export const SEARCH_TYPES: readonly (DocumentKind | AgentHitKind)[] = [...DOCUMENT_KINDS, "agent", "skill"];

const TypeList = z
  .string()
  .transform((value, ctx) => {
    const kinds = [...new Set(value.split(",").map((kind) => kind.trim()))];
    for (const kind of kinds) {
      if (!(SEARCH_TYPES as readonly string[]).includes(kind)) {
        ctx.addIssue({
          code: "custom",
          message: `unknown type "${kind}"; expected ${SEARCH_TYPES.join(", ")}`,
        });
        return z.NEVER;
      }
    }
    return kinds as (DocumentKind | AgentHitKind)[];
  })
  .meta({
    description: "`tool`, `server`, `agent`, `skill`, comma-separated (default tool,server)",
    example: "tool",
  });

export const SearchQuery = z.strictObject({
  q: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(MAX_QUERY_CHARS, `must be at most ${MAX_QUERY_CHARS} characters`)
    .meta({ description: "What you need, in plain words", example: "convert a word document to pdf" }),
  type: TypeList.optional(),
  tag: z
    .string()
    .min(1)
    .max(50)
    .optional()
    .meta({ description: "Only servers with this tag (and their tools)" }),
  server: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: "Only this server (its path) and its tools" }),
  limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(10),
  sort: z
    .enum(["relevance", "rating"])
    .default("relevance")
    .meta({ description: "`rating`: the relevant results ordered by mean rating (unrated last)" }),
});

export type SearchParameters = z.output<typeof SearchQuery>;
