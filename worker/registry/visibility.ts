// Who may see a registry entry (server or agent), on top of the scopes:
// `public` everyone the scopes allow, `private` its owner and admins, `group`
// members of its listed groups (plus owner and admins). One pure rule used by
// every get, list (as SQL in the stores, store/d1/d1-common.ts `visibleTo`),
// search result and MCP listing and call. An entry the caller may not see is
// answered as if it did not exist (404), so its existence does not leak.
import type { Principal } from "../auth/principal.ts";
import { type CompiledPolicy, decide } from "../policy/access-policy.ts";
import type { Viewer, Visibility } from "../store/registry-store.ts";

export interface VisibleEntry {
  visibility: Visibility;
  owner: string;
  /** Groups that may see a `group` entry; absent means none. */
  groups?: string[];
}

/**
 * Admins see everything. An admin is whoever may manage the scopes
 * configuration: they can grant themselves anything anyway.
 */
export function isRegistryAdmin(policy: CompiledPolicy, principal: Principal): boolean {
  return decide(policy, principal, { kind: "registry", action: "manage_scopes" }).allow;
}

export function viewerFor(policy: CompiledPolicy, principal: Principal): Viewer {
  return {
    subject: principal.subject,
    groups: principal.groups,
    seesEverything: isRegistryAdmin(policy, principal),
  };
}

/** The rule itself: may `viewer` know that `entry` exists? */
export function canSee(viewer: Viewer, entry: VisibleEntry): boolean {
  if (viewer.seesEverything || entry.visibility === "public") return true;
  if (entry.owner === viewer.subject) return true;
  if (entry.visibility !== "group") return false;
  const groups = entry.groups ?? [];
  return viewer.groups.some((group) => groups.includes(group));
}
