// Runs the analyzer over a server's catalog and keeps the findings: called by
// ServerService on registration, update, refresh and every catalog change.
// Knows the tenant's policy: which findings count (the threshold) and what
// happens to entries that reach it (warn, hold, block).

import { atLeast, type Finding, type SecurityAnalyzer } from "../store/finding-model.ts";
import type { FindingStore, NewFinding } from "../store/finding-store.ts";
import type { CatalogEntry } from "../store/registry-store.ts";
import type { ScanPolicy } from "./scan-settings.ts";

/** A finding as the registration response shows it. */
export interface SecurityWarning extends Finding {
  kind: string;
  key: string;
}

export interface CatalogScan {
  tenant: string;
  serverId: string;
  policy: ScanPolicy;
  findings: NewFinding[];
  /** Findings at or above the policy's threshold. */
  warnings: SecurityWarning[];
  /** `kind:key` of entries with a finding at or above the threshold. */
  flagged: string[];
}

export interface CatalogScannerOptions {
  analyzer: SecurityAnalyzer;
  store: FindingStore;
  policyFor: (tenant: string) => ScanPolicy;
  now?: () => Date;
}

export function entryRef(kind: string, key: string): string {
  return `${kind}:${key}`;
}

export class CatalogScanner {
  private readonly now: () => Date;

  constructor(private readonly options: CatalogScannerOptions) {
    this.now = options.now ?? (() => new Date());
  }

  policy(tenant: string): ScanPolicy {
    return this.options.policyFor(tenant);
  }

  async inspect(tenant: string, serverId: string, entries: CatalogEntry[]): Promise<CatalogScan> {
    const policy = this.options.policyFor(tenant);
    const results = await this.options.analyzer.analyze(
      entries.map((entry) => ({ kind: entry.kind, key: entry.key, definition: entry.definition })),
    );
    const foundAt = this.now().toISOString();
    const findings: NewFinding[] = [];
    const warnings: SecurityWarning[] = [];
    const flagged = new Set<string>();
    entries.forEach((entry, index) => {
      for (const finding of results[index] ?? []) {
        findings.push({
          ...finding,
          tenant,
          serverId,
          kind: entry.kind,
          key: entry.key,
          analyzer: this.options.analyzer.name,
          entryFingerprint: entry.fingerprint,
          foundAt,
        });
        if (atLeast(finding.severity, policy.threshold)) {
          warnings.push({ ...finding, kind: entry.kind, key: entry.key });
          flagged.add(entryRef(entry.kind, entry.key));
        }
      }
    });
    return { tenant, serverId, policy, findings, warnings, flagged: [...flagged] };
  }

  async record(scan: CatalogScan): Promise<void> {
    await this.options.store.replaceForServer(scan.tenant, scan.serverId, scan.findings);
  }
}
