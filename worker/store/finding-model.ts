// What a security analyzer reports about a catalog entry, and the port every
// analyzer implements. The default analyzer is rule-based and runs locally
// (rule-analyzer.ts); a model-based one (Workers AI) can be added behind the
// same port without touching callers.

export const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rule ids are `<category>.<rule>`; the category groups findings for reports and filters. */
export const FINDING_CATEGORIES = [
  "coercion",
  "exfiltration",
  "shadowing",
  "credential-harvest",
  "hidden-unicode",
  "hidden-markup",
  "encoded-payload",
  "concealment",
  "behavior",
] as const;
export type FindingCategory = (typeof FINDING_CATEGORIES)[number];

export interface Finding {
  ruleId: string;
  category: FindingCategory;
  severity: Severity;
  /** Where in the definition: `description`, `inputSchema.properties.path.description`, `name`... */
  field: string;
  /** A short, printable piece of the text around the match (invisible characters escaped). */
  excerpt: string;
  message: string;
}

/** One thing to scan: a tool, resource, template, prompt, or an agent skill. */
export interface ScanSubject {
  kind: string;
  key: string;
  definition: Record<string, unknown>;
}

/** The port: given subjects, say what is wrong with each (same order as the input). */
export interface SecurityAnalyzer {
  readonly name: string;
  analyze(subjects: ScanSubject[]): Promise<Finding[][]>;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) >= severityRank(threshold);
}

export function maxSeverity(findings: readonly Finding[]): Severity | null {
  let best: Severity | null = null;
  for (const finding of findings) {
    if (best === null || severityRank(finding.severity) > severityRank(best)) best = finding.severity;
  }
  return best;
}

/** Escapes invisible and control characters so an excerpt shows what is hidden. */
export function printable(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const hidden =
      code < 0x20 ||
      (code >= 0x7f && code < 0xa0) ||
      code === 0xad ||
      (code >= 0x200b && code <= 0x200f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2060 && code <= 0x206f) ||
      code === 0xfeff ||
      (code >= 0xe0000 && code <= 0xe007f) ||
      (code >= 0xfe00 && code <= 0xfe0f);
    out += hidden ? (char === "\n" ? " " : `\\u{${code.toString(16)}}`) : char;
  }
  return out;
}

/** About `radius` characters either side of [start, end), printable, at most 200 characters. */
export function excerptAround(text: string, start: number, end: number, radius = 40): string {
  const from = Math.max(0, start - radius);
  const to = Math.min(text.length, end + radius);
  const body = printable(text.slice(from, to)).replace(/\s+/g, " ").trim();
  const clipped = body.length > 200 ? `${body.slice(0, 197)}...` : body;
  return `${from > 0 ? "…" : ""}${clipped}${to < text.length ? "…" : ""}`;
}
