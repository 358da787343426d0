// The default SecurityAnalyzer: rules only, runs anywhere, no model. For each
// text field of a definition it looks for hidden Unicode, hidden markup and
// encoded prose, recovers what they hide, and runs the intent rules on the
// visible text and on everything recovered. Text recovered from a hiding
// place that itself carries an instruction is reported as one more,
// higher-severity finding: hiding an instruction is worse than writing it.

import {
  excerptAround,
  type Finding,
  type FindingCategory,
  type ScanSubject,
  type SecurityAnalyzer,
  type Severity,
  severityRank,
} from "../store/finding-model.ts";
import { findEncodedText } from "./encodings.ts";
import { INTENT_RULES, type RuleContext } from "./intent-rules.ts";
import { findHiddenMarkup } from "./markup.ts";
import { textFields } from "./text-fields.ts";
import { inspectName, inspectUnicode } from "./unicode.ts";
import { MENTION, negatedAt } from "./vocabulary.ts";

const MAX_TEXT = 20_000;

export class RuleAnalyzer implements SecurityAnalyzer {
  readonly name = "rules";

  async analyze(subjects: ScanSubject[]): Promise<Finding[][]> {
    return subjects.map((subject) => scanSubject(subject));
  }
}

export function scanSubject(subject: ScanSubject): Finding[] {
  const ownName = typeof subject.definition.name === "string" ? subject.definition.name : subject.key;
  const findings: Finding[] = [];
  for (const field of textFields(subject.definition)) {
    const text = field.text.slice(0, MAX_TEXT);
    if (field.role === "name") {
      for (const issue of inspectName(text)) {
        findings.push({
          ruleId: issue.ruleId,
          category: "hidden-unicode",
          severity: issue.severity,
          field: field.path,
          excerpt: excerptAround(text, issue.index, issue.index + issue.length),
          message: issue.message,
        });
      }
    }
    const context: RuleContext = {
      ownName,
      parameter: /(^|\.)properties\./.test(field.path),
      ownParameters: parameterNames(subject.definition),
    };
    findings.push(...scanText(text, field.path, context, 0));
  }
  return dedupe(findings);
}

function scanText(text: string, path: string, context: RuleContext, depth: number): Finding[] {
  const findings: Finding[] = [];
  const hidden: { text: string; ruleId: string; category: FindingCategory; index: number; length: number }[] =
    [];

  const unicode = inspectUnicode(text);
  for (const issue of unicode.issues) {
    findings.push({
      ruleId: issue.ruleId,
      category: "hidden-unicode",
      severity: issue.severity,
      field: path,
      excerpt: excerptAround(text, issue.index, issue.index + issue.length),
      message: issue.message,
    });
  }
  for (const recovered of unicode.recovered) {
    hidden.push({
      text: recovered,
      ruleId: "hidden-unicode.hidden-instruction",
      category: "hidden-unicode",
      index: 0,
      length: 0,
    });
  }
  const visible = unicode.visible;
  // Text with invisible characters between letters reads differently once they are gone.
  for (const issue of findHiddenMarkup(visible)) {
    findings.push({
      ruleId: issue.ruleId,
      category: "hidden-markup",
      severity: issue.severity,
      field: path,
      excerpt: excerptAround(visible, issue.index, issue.index + Math.min(issue.length, 80)),
      message: issue.message,
    });
    hidden.push({
      text: issue.hidden,
      ruleId: "hidden-markup.hidden-instruction",
      category: "hidden-markup",
      index: issue.index,
      length: issue.length,
    });
  }
  for (const run of findEncodedText(visible)) {
    if (run.encoding !== "rot13") {
      findings.push({
        ruleId: "encoded-payload.encoded-text",
        category: "encoded-payload",
        severity: "medium",
        field: path,
        excerpt: `${run.encoding}: ${excerptAround(run.decoded, 0, 0, 120)}`,
        message: `Readable text hidden in ${run.encoding}`,
      });
    }
    hidden.push({
      text: run.decoded,
      ruleId: "encoded-payload.hidden-instruction",
      category: "encoded-payload",
      index: run.index,
      length: run.length,
    });
  }
  findings.push(...runIntentRules(visible, path, context));
  const decodeAndObey =
    /\b(?:decode|decoded|decoding|decrypt|base64|hex|b64|escapes?|atob)\b[^.]{0,80}\b(?:follow|obey|execute|run|apply|comply|act on|eval|do (?:what|as)|read and obey)\b|\b(?:follow|obey|execute|apply|comply with)\b[^.]{0,40}\b(?:decoded|after decoding)\b/i.exec(
      visible,
    );
  if (decodeAndObey) {
    findings.push({
      ruleId: "encoded-payload.decode-and-follow",
      category: "encoded-payload",
      severity: "high",
      field: path,
      excerpt: excerptAround(visible, decodeAndObey.index, decodeAndObey.index + decodeAndObey[0].length),
      message: "Asks the model to decode text and act on it",
    });
  }

  if (depth < 2) {
    for (const item of hidden) {
      const inner = scanText(item.text, path, context, depth + 1);
      const worst = inner.reduce<Severity | null>(
        (best, finding) =>
          best === null || severityRank(finding.severity) > severityRank(best) ? finding.severity : best,
        null,
      );
      if (worst !== null && severityRank(worst) >= severityRank("medium")) {
        findings.push({
          ruleId: item.ruleId,
          category: item.category,
          severity: severityRank(worst) >= severityRank("high") ? "critical" : "high",
          field: path,
          excerpt: excerptAround(item.text, 0, 0, 160),
          message:
            "An instruction hidden from people: " +
            inner
              .map((finding) => finding.ruleId)
              .filter(unique)
              .join(", "),
        });
      }
      // rot13 counts only when what it hides is an instruction.
      findings.push(...inner.filter((finding) => severityRank(finding.severity) >= severityRank("medium")));
    }
  }
  return findings;
}

interface Sentence {
  text: string;
  start: number;
}

/** Sentences; single line breaks inside a sentence are kept, blank lines and list items split. */
export function sentences(text: string): Sentence[] {
  const out: Sentence[] = [];
  const boundary =
    /[.!?。！？]+(?=\s|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)|(?:^|\n)\s*<\/?\s*\w+\s*>|<\/?\s*\w+\s*>\s*(?:\n|$)/g;
  let start = 0;
  for (const match of text.matchAll(boundary)) {
    const end = match.index + match[0].length;
    if (end > start) out.push({ text: text.slice(start, end), start });
    start = end;
  }
  if (start < text.length) out.push({ text: text.slice(start), start });
  return out.filter((sentence) => sentence.text.trim().length > 0);
}

export function runIntentRules(text: string, path: string, context: RuleContext): Finding[] {
  const findings: Finding[] = [];
  for (const sentence of sentences(text)) {
    const mention = MENTION.test(sentence.text);
    for (const rule of INTENT_RULES) {
      const match = rule.pattern.exec(sentence.text);
      if (!match) continue;
      if (rule.all && !rule.all.every((pattern) => pattern.test(sentence.text))) continue;
      if (rule.any && !rule.any.some((pattern) => pattern.test(sentence.text))) continue;
      if (rule.when && !rule.when(sentence.text, context)) continue;
      if (rule.negatable && negatedAt(sentence.text, match.index)) continue;
      let severity = rule.severity;
      if (rule.escalate?.any.some((pattern) => pattern.test(sentence.text)))
        severity = rule.escalate.severity;
      // Describing an attack ("detects phrases like ...") is not making one.
      if (mention) severity = "low";
      const at = sentence.start + match.index;
      findings.push({
        ruleId: rule.id,
        category: rule.category,
        severity,
        field: path,
        excerpt: excerptAround(text, at, at + match[0].length),
        message: rule.message,
      });
    }
  }
  return findings;
}

/** Names of the subject's parameters at any depth (tools' schemas, prompts' arguments). */
function parameterNames(definition: Record<string, unknown>): Set<string> {
  const names = new Set<string>();
  const visit = (value: unknown, depth: number) => {
    if (depth > 12 || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, depth + 1);
      return;
    }
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (key === "properties" && child && typeof child === "object") {
        for (const name of Object.keys(child)) names.add(name);
      }
      if (key === "arguments" && Array.isArray(child)) {
        for (const argument of child) if (typeof argument?.name === "string") names.add(argument.name);
      }
      visit(child, depth + 1);
    }
  };
  visit(definition, 0);
  return names;
}

/** One finding per rule and field: the most severe. */
function dedupe(findings: Finding[]): Finding[] {
  const best = new Map<string, Finding>();
  for (const finding of findings) {
    const key = `${finding.ruleId}\u0000${finding.field}`;
    const current = best.get(key);
    if (!current || severityRank(finding.severity) > severityRank(current.severity)) best.set(key, finding);
  }
  return [...best.values()].sort((a, b) => severityRank(b.severity) - severityRank(a.severity));
}

function unique<T>(value: T, index: number, all: T[]): boolean {
  return all.indexOf(value) === index;
}
