// The two things identity asks of the policy engine, kept in one place: a
// caller's own effective scopes (group_mappings applied to its groups, plus
// the scopes its token carries), which bound what a minted token may carry;
// and the scope names to advertise in protected-resource metadata.
import { effectiveScopes } from "../policy/access-policy.ts";
import { getServices } from "../services.ts";
import type { Principal } from "./principal.ts";

export async function ownScopes(env: Env, principal: Principal): Promise<string[]> {
  return effectiveScopes(await getServices(env).access.policyFor(principal.tenant), principal);
}

export async function supportedScopes(env: Env, tenant: string): Promise<string[]> {
  return [...(await getServices(env).access.policyFor(tenant)).knownScopes].sort();
}
