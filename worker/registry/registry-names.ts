// Server names in the MCP Registry API: reverse-DNS `namespace/name`. A server
// registered here is published as `{namespace}/{path}` unless it carries an
// explicit registryName (imported servers keep their upstream name).
import { z } from "zod";
import type { ServerRecord } from "../store/registry-store.ts";

/** server.schema.json: `^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$`, 3-200 characters. */
export const REGISTRY_NAME_PATTERN = /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/;

export const RegistryName = z
  .string()
  .min(3)
  .max(200)
  .regex(REGISTRY_NAME_PATTERN, "use the reverse-DNS form namespace/name (e.g. com.example/weather)")
  .meta({ description: "Name in the MCP Registry API; default: the gateway's namespace plus the path" });

export const RegistryNamespaceSetting = z
  .string()
  .max(120)
  .regex(/^[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+$/, "must be a reverse-DNS namespace such as com.example.mcp");

const FALLBACK_NAMESPACE = "local.mcp-gateway";

/** `https://mcp.example.com` -> `com.example.mcp`; no public URL -> `local.mcp-gateway`. */
export function defaultNamespace(publicUrl: string | null): string {
  if (!publicUrl) return FALLBACK_NAMESPACE;
  const labels = new URL(publicUrl).hostname
    .split(".")
    .map((label) => label.replace(/[^a-zA-Z0-9-]/g, "-"))
    .filter((label) => label !== "");
  if (labels.length < 2) return `${FALLBACK_NAMESPACE}.${labels[0] ?? "host"}`;
  return labels.reverse().join(".");
}

export function registryNameOf(
  server: Pick<ServerRecord, "registryName" | "path">,
  namespace: string,
): string {
  return server.registryName ?? `${namespace}/${server.path}`;
}

/**
 * A path slug for an imported server: the name part of `namespace/name`,
 * lowercased, other characters as hyphens, at most 64 characters.
 */
export function pathSlugFor(registryName: string): string {
  const base = registryName.slice(registryName.indexOf("/") + 1).toLowerCase();
  const slug = base
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
  return slug === "" ? "server" : slug;
}
