// THE visibility filter point of the MCP Registry API (/v0.1, /v0): which
// servers a caller may discover there. Every Registry API read goes through
// `registryVisibility`, and nothing else decides it.
//
// Today: an anonymous caller (only when REGISTRY_API_PUBLIC=true) sees
// servers whose visibility is `public`; a caller with a token sees what its
// scopes grant `list_service` on. Per-server visibility for authenticated
// callers (private to the owner, group-restricted) belongs here too, once
// the registry's visibility rules exist (issue 12).
import type { Principal } from "../auth/principal.ts";
import type { AccessGuard } from "../registry/access-service.ts";
import type { ServerRecord, Visibility } from "../store/registry-store.ts";

export interface VisibilityFilter {
  /** Only these paths (the caller's `list_service` grant); absent: no path restriction. */
  paths?: string[];
  /** Only these visibilities; absent: any. */
  visibilities?: Visibility[];
}

export async function registryVisibility(
  caller: Principal | null,
  access: AccessGuard,
): Promise<VisibilityFilter> {
  if (caller === null) return { visibilities: ["public"] };
  const grant = await access.resources(caller, "list_service");
  return grant.all ? {} : { paths: grant.names };
}

/** The same filter for one record (the by-name routes). */
export function isVisible(filter: VisibilityFilter, server: ServerRecord): boolean {
  if (filter.paths && !filter.paths.includes(server.path)) return false;
  if (filter.visibilities && !filter.visibilities.includes(server.visibility)) return false;
  return true;
}
