// What a client may send to register or change an A2A agent. The card itself
// is checked against the pinned A2A schema by agent-card.ts (zod only makes
// sure it is an object), so the schema, not this file, decides validity.
import { z } from "zod";
import { BooleanQuery, PathSlug, Tag } from "./server-input.ts";

const CardObject = z
  .record(z.string(), z.unknown())
  .meta({ description: "An A2A Agent Card (v0.3), validated against the A2A JSON Schema" });

export const GroupName = z.string().trim().min(1).max(200);

const agentFields = {
  path: PathSlug.meta({
    description:
      "URL slug, shared with server paths: the card is at /agents/{path}/.well-known/agent-card.json",
    example: "code-reviewer",
  }),
  tags: z
    .array(Tag)
    .max(32)
    .transform((tags) => [...new Set(tags)]),
  visibility: z.enum(["public", "private", "group"]),
  groups: z
    .array(GroupName)
    .max(32)
    .transform((groups) => [...new Set(groups)])
    .meta({ description: "Who may see the agent when visibility is `group`" }),
  trustLevel: z
    .enum(["unverified", "community", "verified"])
    .meta({ description: "`verified`: admins only" }),
  enabled: z.boolean(),
};

export const AgentCreateInput = z
  .strictObject({
    path: agentFields.path,
    card: CardObject,
    tags: agentFields.tags.default([]),
    visibility: agentFields.visibility.default("public"),
    groups: agentFields.groups.default([]),
    trustLevel: agentFields.trustLevel.default("unverified"),
    enabled: agentFields.enabled.default(true),
  })
  .meta({ id: "AgentCreate" });

export const AgentCardReplaceInput = z.strictObject({ card: CardObject }).meta({ id: "AgentCardReplace" });

export const AgentUpdateInput = z
  .strictObject({
    path: agentFields.path.optional(),
    tags: agentFields.tags.optional(),
    visibility: agentFields.visibility.optional(),
    groups: agentFields.groups.optional(),
    trustLevel: agentFields.trustLevel.optional(),
    enabled: agentFields.enabled.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: "send at least one field to change",
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: "AgentUpdate" });

export const AgentListQuery = z.strictObject({
  enabled: BooleanQuery.optional(),
  tag: z.string().min(1).max(50).optional(),
  text: z.string().min(1).max(200).optional(),
  trustLevel: agentFields.trustLevel.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

export type AgentCreate = z.output<typeof AgentCreateInput>;
export type AgentUpdate = z.output<typeof AgentUpdateInput>;
export type AgentListFilters = z.output<typeof AgentListQuery>;
