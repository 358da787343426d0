// What a client sends to add a federation source (validates REST input and
// feeds the OpenAPI document).
import { z } from "zod";
import { RegistryName } from "../registry/registry-names.ts";
import { SecretName } from "../registry/server-input.ts";

export const SourceCreateInput = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    url: z
      .url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" })
      .max(2048)
      .refine((url) => !url.includes("#") && !url.includes("?"), "a base URL without query or fragment")
      .meta({ description: "Base of a registry speaking the MCP Registry API v0.1 ({url}/v0.1/servers)" }),
    mode: z.enum(["all", "selected"]).default("all"),
    servers: z.array(RegistryName).max(1000).default([]),
    syncIntervalMinutes: z
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .nullable()
      .default(null)
      .meta({ description: "Sync on the Cron Trigger every this many minutes; null: only on request" }),
    auth: z
      .strictObject({
        secret: SecretName,
      })
      .nullable()
      .default(null)
      .meta({
        description:
          "Secret holding a bearer token for the source; also the egress credential of imported servers whose remotes require Authorization",
      }),
  })
  .refine((input) => input.mode === "all" || input.servers.length > 0, {
    path: ["servers"],
    message: "name at least one server when mode is selected",
  })
  .meta({ id: "FederationSourceCreate" });

export type SourceCreate = z.output<typeof SourceCreateInput>;
