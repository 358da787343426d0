// Hidden markup: text a rendered description hides from people but a model
// reads in full: HTML and Markdown comments, CSS-hidden elements, <script>,
// <noscript>, <meta content>, conditional comments, image alt text and link
// titles. Mentions of markup ("removes <!-- comments -->") are short and
// carry no sentence, so hidden runs count only with a few words in them.

export interface MarkupIssue {
  ruleId: string;
  severity: "medium" | "high";
  index: number;
  length: number;
  message: string;
  /** The hidden text, for the intent rules. */
  hidden: string;
}

const MIN_HIDDEN_WORDS = 4;

interface Hider {
  ruleId: string;
  pattern: RegExp;
  message: string;
  severity: "medium" | "high";
}

const HIDERS: Hider[] = [
  {
    ruleId: "hidden-markup.html-comment",
    pattern: /<!--([\s\S]*?)(?:-->|$)/g,
    message: "An HTML comment carries text that renderers hide",
    severity: "medium",
  },
  {
    ruleId: "hidden-markup.markdown-comment",
    pattern: /^\s*\[(?:\/\/|comment|_)\]:\s*(?:#|<>)\s*[("]?([^\n]*)/gim,
    message: "A Markdown link-reference comment carries text that renderers hide",
    severity: "high",
  },
  {
    ruleId: "hidden-markup.hidden-element",
    pattern:
      /<(\w+)[^>]*style\s*=\s*["'][^"']*(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](?:\.\d+)?(?:px|pt|em|rem)?\b|opacity\s*:\s*0(?:\.0+)?\b|color\s*:\s*(?:#fff(?:fff)?\b|white|transparent))[^"']*["'][^>]*>([\s\S]*?)(?:<\/\1>|$)/gi,
    message: "An element styled to be invisible carries text",
    severity: "high",
  },
  {
    ruleId: "hidden-markup.hidden-element",
    pattern: /<(noscript|template|script|style|hidden|invisible)\b[^>]*>([\s\S]*?)<\/\1>/gi,
    message: "A <noscript>, <script>, <template> or similar element carries text not shown to people",
    severity: "high",
  },
  {
    ruleId: "hidden-markup.meta-content",
    pattern: /<meta\b[^>]*\bcontent\s*=\s*["']([^"']*)["'][^>]*>/gi,
    message: "A <meta> element carries text not shown to people",
    severity: "high",
  },
  {
    ruleId: "hidden-markup.conditional-comment",
    pattern: /<!\[if\b[^\]]*\]>([\s\S]*?)(?:<!\[endif\]>|$)/gi,
    message: "A conditional comment carries text not shown to people",
    severity: "high",
  },
  {
    ruleId: "hidden-markup.alt-or-title",
    pattern: /\balt\s*=\s*["']([^"']{20,})["']/gi,
    message: "Image alternative text carries sentences",
    severity: "medium",
  },
  {
    ruleId: "hidden-markup.alt-or-title",
    pattern: /\]\(\s*\S+\s+"([^"]{20,})"\s*\)/g,
    message: "A Markdown link title carries sentences",
    severity: "medium",
  },
];

export function findHiddenMarkup(text: string): MarkupIssue[] {
  const issues: MarkupIssue[] = [];
  for (const hider of HIDERS) {
    for (const match of text.matchAll(hider.pattern)) {
      const hidden = (match[match.length - 1] ?? "").replace(/<[^>]*>/g, " ").trim();
      const words = hidden.match(/\p{L}{2,}/gu) ?? [];
      if (words.length < MIN_HIDDEN_WORDS) continue;
      issues.push({
        ruleId: hider.ruleId,
        severity: hider.severity,
        index: match.index,
        length: match[0].length,
        message: hider.message,
        hidden,
      });
    }
  }
  const padding = /[ \t]{60,}|\n{12,}/.exec(text);
  if (padding && /\p{L}{2,}/u.test(text.slice(padding.index + padding[0].length))) {
    issues.push({
      ruleId: "hidden-markup.pushed-out-of-view",
      severity: "medium",
      index: padding.index,
      length: padding[0].length,
      message: "Long whitespace pushes the rest of the text out of view",
      hidden: text.slice(padding.index + padding[0].length),
    });
  }
  return issues;
}
