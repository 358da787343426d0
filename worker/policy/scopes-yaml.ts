// The scopes document as text: YAML (or JSON) in, validated document or
// field errors with line numbers out; and the canonical YAML export. Pure.
import { isMap, isSeq, LineCounter, type Node, parseDocument, stringify } from "yaml";
import {
  fieldName,
  type ScopesDocument,
  type ScopesIssue,
  validateScopesDocument,
} from "./scopes-document.ts";

export interface ScopesTextError {
  /** Dotted path of the offending field; "" for the text as a whole. */
  field: string;
  message: string;
  /** 1-based line in the submitted text, when it can be located. */
  line?: number;
}

export type ScopesTextResult =
  | { ok: true; document: ScopesDocument }
  | { ok: false; syntax: boolean; errors: ScopesTextError[] };

// Aliases make YAML "billion laughs" documents; a scopes file needs none.
const MAX_ALIASES = 0;

/** Parses YAML (JSON is accepted too, being YAML) and validates it. */
export function parseScopesYaml(text: string): ScopesTextResult {
  const lineCounter = new LineCounter();
  const yaml = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (yaml.errors.length > 0) {
    return {
      ok: false,
      syntax: true,
      errors: yaml.errors.map((error) => ({
        field: "",
        message: `not valid YAML: ${firstLine(error.message)}`,
        line: lineCounter.linePos(error.pos[0]).line,
      })),
    };
  }
  let value: unknown;
  try {
    value = yaml.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (error) {
    return {
      ok: false,
      syntax: true,
      errors: [{ field: "", message: `not accepted: ${firstLine(String(error))} (aliases are not allowed)` }],
    };
  }
  const result = validateScopesDocument(value ?? {});
  if (result.ok) return result;
  return { ok: false, syntax: false, errors: locateIssues(text, result.issues) };
}

/**
 * Names each issue's field and, where the text shows it, its line. Used for
 * JSON bodies too (JSON is YAML 1.2), so both formats report lines alike.
 */
export function locateIssues(text: string, issues: ScopesIssue[]): ScopesTextError[] {
  const lineCounter = new LineCounter();
  const yaml = parseDocument(text, { lineCounter, uniqueKeys: false });
  return issues.map((issue) => {
    const offset = yaml.errors.length === 0 ? offsetOf(yaml.contents, issue.path) : undefined;
    const located: ScopesTextError = { field: fieldName(issue.path), message: issue.message };
    if (offset !== undefined) located.line = lineCounter.linePos(offset).line;
    return located;
  });
}

/** The nearest node along `path` (the value, or for a missing/unknown key, the key or its parent). */
function offsetOf(root: unknown, path: (string | number)[]): number | undefined {
  let node = root as Node | null;
  let offset = node?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => String((item.key as Node | null)?.toJSON?.() ?? item.key) === String(segment),
      );
      if (!pair) return offset;
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      offset = value?.range?.[0] ?? key?.range?.[0] ?? offset;
      // For an unknown key the key itself is the place to point at.
      if (value === null) offset = key?.range?.[0] ?? offset;
      node = value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) return offset;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      return offset;
    }
  }
  return offset;
}

/** Canonical YAML of a validated document, optionally preceded by comment lines. */
export function scopesToYaml(document: ScopesDocument, comment?: string[]): string {
  const body = stringify(document, { lineWidth: 0 });
  const header = (comment ?? []).map((line) => `# ${line}\n`).join("");
  return header + body;
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
