// What a client may send to create or change a virtual server. These schemas
// validate REST input and produce the OpenAPI document. Rules that need the
// registry (does the server and tool exist, is a name taken) live in
// virtual-server-service.ts.
import { z } from "zod";
import { PathSlug } from "../registry/server-input.ts";

/** MCP tool and prompt names as the spec recommends: 1-128 of A-Z a-z 0-9 _ - . */
export const ExposedName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, "use 1-128 letters, digits, '_', '-' or '.'")
  .meta({ description: "The name this virtual server exposes the item under" });

const ServerPath = z.string().min(1).max(64).meta({ description: "A registered server's path" });

/**
 * The item name that takes the whole server (`"tool": "*"`, `"uri": "*"`,
 * `"prompt": "*"`): every item of that kind, present and future, under its
 * own name. Safe as a marker: MCP names are letters, digits, `_ - .`, and a
 * URI has a scheme.
 */
export const WHOLE_SERVER = "*";

/** A wildcard entry exposes items under their own names: no rename, no description override. */
function noOverrides(item: "tool" | "prompt", fields: readonly ("name" | "description")[]) {
  return (entry: Record<string, unknown>, ctx: z.core.$RefinementCtx) => {
    if (entry[item] !== WHOLE_SERVER) return;
    for (const field of fields) {
      if (entry[field] === undefined) continue;
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `not allowed with "${item}": "${WHOLE_SERVER}" (every ${item} keeps its own ${field})`,
      });
    }
  };
}

export const VirtualToolInput = z
  .strictObject({
    server: ServerPath,
    tool: z
      .string()
      .min(1)
      .max(256)
      .meta({ description: `The tool's name on that server, or "${WHOLE_SERVER}" for all of its tools` }),
    name: ExposedName.optional().meta({ description: "Exposed name (default: the tool's own name)" }),
    description: z.string().max(4000).optional().meta({ description: "Replaces the tool's description" }),
  })
  .superRefine(noOverrides("tool", ["name", "description"]));

export const VirtualResourceInput = z.strictObject({
  server: ServerPath,
  uri: z
    .string()
    .min(1)
    .max(2048)
    .meta({
      description: `A resource URI or resource template of that server, exposed unchanged; "${WHOLE_SERVER}" for all of them`,
    }),
});

export const VirtualPromptInput = z
  .strictObject({
    server: ServerPath,
    prompt: z
      .string()
      .min(1)
      .max(256)
      .meta({ description: `The prompt's name on that server, or "${WHOLE_SERVER}" for all of its prompts` }),
    name: ExposedName.optional().meta({ description: "Exposed name (default: the prompt's own name)" }),
  })
  .superRefine(noOverrides("prompt", ["name"]));

const Mode = z.enum(["tools", "discovery"]).meta({
  description:
    "`tools` lists the chosen tools; `discovery` exposes only discover_tools and invoke_tool over them " +
    "(a large set costs two schemas)",
});

const LIMIT = 1_000;

export const VirtualServerCreateInput = z
  .strictObject({
    name: PathSlug.meta({ description: "URL slug: served at /v/{name}/mcp", example: "support-agent" }),
    description: z.string().max(2000).default(""),
    tools: z.array(VirtualToolInput).max(LIMIT).default([]),
    resources: z.array(VirtualResourceInput).max(LIMIT).default([]),
    prompts: z.array(VirtualPromptInput).max(LIMIT).default([]),
    mode: Mode.default("tools"),
    enabled: z.boolean().default(true),
  })
  .meta({ id: "VirtualServerCreate" });

export const VirtualServerUpdateInput = z
  .strictObject({
    name: PathSlug.optional(),
    description: z.string().max(2000).optional(),
    tools: z.array(VirtualToolInput).max(LIMIT).optional(),
    resources: z.array(VirtualResourceInput).max(LIMIT).optional(),
    prompts: z.array(VirtualPromptInput).max(LIMIT).optional(),
    mode: Mode.optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: "VirtualServerUpdate" });

export type VirtualServerCreate = z.infer<typeof VirtualServerCreateInput>;
export type VirtualServerUpdate = z.infer<typeof VirtualServerUpdateInput>;
