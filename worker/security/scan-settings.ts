// Scanner policy from configuration: SECURITY_SCAN_ACTION (warn | hold |
// block), SECURITY_SCAN_THRESHOLD (the lowest severity the action applies
// to) and SECURITY_SCAN_TENANTS (per-tenant overrides as JSON:
// {"acme": {"action": "block", "threshold": "high"}}).
import { z } from "zod";
import { SEVERITIES, type Severity } from "../store/finding-model.ts";

export type ScanAction = "warn" | "hold" | "block";

export interface ScanPolicy {
  action: ScanAction;
  threshold: Severity;
}

export interface SecuritySettings {
  defaultPolicy: ScanPolicy;
  tenants: Record<string, ScanPolicy>;
  /** TOOL_APPROVAL: `auto` approves new tools at first sight, `manual` holds them. */
  toolApproval: "auto" | "manual";
  /** TOOL_UNDECLARED_ARGUMENTS: arguments outside the approved schema are refused or stripped. */
  undeclaredArguments: "refuse" | "strip";
}

const Action = z.enum(["warn", "hold", "block"]);
const Threshold = z.enum(SEVERITIES);
const TenantPolicies = z.preprocess(
  (value) => {
    if (typeof value !== "string" || value.trim() === "") return {};
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  },
  z.record(z.string(), z.object({ action: Action, threshold: Threshold.default("medium") }).strict(), {
    error: 'must be JSON like {"tenant": {"action": "hold", "threshold": "high"}}',
  }),
);

/** Spread into the configuration schema (worker/env.ts). */
export const SecurityConfigShape = {
  SECURITY_SCAN_ACTION: Action.default("warn"),
  SECURITY_SCAN_THRESHOLD: Threshold.default("medium"),
  SECURITY_SCAN_TENANTS: TenantPolicies,
  TOOL_APPROVAL: z.enum(["auto", "manual"]).default("auto"),
  TOOL_UNDECLARED_ARGUMENTS: z.enum(["refuse", "strip"]).default("refuse"),
};

export function securitySettings(values: {
  SECURITY_SCAN_ACTION: ScanAction;
  SECURITY_SCAN_THRESHOLD: Severity;
  SECURITY_SCAN_TENANTS: Record<string, ScanPolicy>;
  TOOL_APPROVAL: "auto" | "manual";
  TOOL_UNDECLARED_ARGUMENTS: "refuse" | "strip";
}): SecuritySettings {
  return {
    toolApproval: values.TOOL_APPROVAL,
    undeclaredArguments: values.TOOL_UNDECLARED_ARGUMENTS,
    defaultPolicy: { action: values.SECURITY_SCAN_ACTION, threshold: values.SECURITY_SCAN_THRESHOLD },
    tenants: values.SECURITY_SCAN_TENANTS,
  };
}

export function policyFor(settings: SecuritySettings, tenant: string): ScanPolicy {
  return settings.tenants[tenant] ?? settings.defaultPolicy;
}
