// What the signed-in principal may do, from GET /api/v1/auth/whoami's
// `permissions` (registry actions over all or named server paths). The
// dashboard hides what this says no to; the gateway still checks every call.
import type { WhoAmI } from "./api-types.ts";

export type Action =
  | "list_service"
  | "register_service"
  | "health_check_service"
  | "toggle_service"
  | "modify_service"
  | "delete_service"
  | "list_agents"
  | "get_agent"
  | "publish_agent"
  | "modify_agent"
  | "delete_agent"
  | "manage_scopes"
  | "view_audit"
  | "view_metrics"
  | "manage_federation";

/** May the principal do `action` on the server at `path` (any server when omitted)? */
export function can(who: WhoAmI | null, action: Action, path?: string): boolean {
  const grant = who?.permissions[action];
  if (!grant) return false;
  if (grant.all) return true;
  if (path === undefined) return grant.names.length > 0;
  return grant.names.includes(path);
}
