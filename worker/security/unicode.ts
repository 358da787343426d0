// Hidden Unicode: characters a person reviewing a description does not see but
// a model reads. Legitimate uses are allowed through: emoji tag sequences
// (subdivision flags), zero-width joiners inside emoji, joiners and
// directional marks in scripts that need them (Arabic, Persian, Indic,
// Hebrew). What remains is reported and also decoded (tag characters carry
// ASCII; reversed text behind a right-to-left override) so the intent rules
// can read what was hidden.

export interface UnicodeIssue {
  ruleId: string;
  severity: "low" | "medium" | "high" | "critical";
  index: number;
  length: number;
  message: string;
}

export interface UnicodeReport {
  issues: UnicodeIssue[];
  /** The text a model effectively reads: invisible characters removed, NFKC. */
  visible: string;
  /** Text recovered from hiding places (tag characters, reversed runs), to be scanned too. */
  recovered: string[];
}

const TAG_BLACK_FLAG = 0x1f3f4;
const INVISIBLE = new Set([
  0x00ad, 0x034f, 0x115f, 0x1160, 0x17b4, 0x17b5, 0x180e, 0x200b, 0x200c, 0x200d, 0x2060, 0x2061, 0x2062,
  0x2063, 0x2064, 0x3164, 0xfeff, 0xffa0,
]);
const BIDI_OVERRIDE = new Set([0x202d, 0x202e]);
const BIDI_EMBED_ISOLATE = new Set([0x202a, 0x202b, 0x202c, 0x2066, 0x2067, 0x2068, 0x2069]);
// Scripts whose orthography uses ZWJ/ZWNJ or directional marks.
const JOINING_SCRIPT =
  /[\u0590-\u08ff\u0900-\u0dff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u1800-\u18af\ufb1d-\ufdff\ufe70-\ufefc]/u;
const RTL_SCRIPT = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/u;
const EMOJI = /\p{Extended_Pictographic}|\p{Emoji_Modifier}|\u{fe0f}|\u{20e3}/u;

export function inspectUnicode(text: string): UnicodeReport {
  const issues: UnicodeIssue[] = [];
  const recovered: string[] = [];
  const chars = Array.from(text);
  // Offsets in UTF-16 units, for excerpts.
  const offsets: number[] = [];
  let offset = 0;
  for (const char of chars) {
    offsets.push(offset);
    offset += char.length;
  }

  let tagRun = "";
  let tagStart = -1;
  let inFlag = false;
  let invisibleCount = 0;
  let firstInvisible = -1;
  let invisibleInWord = false;
  const flushTags = (end: number) => {
    if (tagRun.length > 0 && tagStart >= 0) {
      issues.push({
        ruleId: "hidden-unicode.tag-characters",
        severity: "critical",
        index: offsets[tagStart] ?? 0,
        length: Math.max(1, (offsets[end] ?? offset) - (offsets[tagStart] ?? 0)),
        message: "Unicode tag characters hide text from people; decoded, they read as the excerpt",
      });
      recovered.push(tagRun);
    }
    tagRun = "";
    tagStart = -1;
  };

  for (let i = 0; i < chars.length; i += 1) {
    const code = chars[i]?.codePointAt(0) ?? 0;
    if (code >= 0xe0000 && code <= 0xe007f) {
      // A flag like England's is U+1F3F4, tag letters, then CANCEL TAG (U+E007F).
      if (inFlag) {
        if (code === 0xe007f) inFlag = false;
        continue;
      }
      if (tagStart < 0) tagStart = i;
      if (code >= 0xe0020 && code < 0xe007f) tagRun += String.fromCodePoint(code - 0xe0000);
      continue;
    }
    flushTags(i);
    inFlag = code === TAG_BLACK_FLAG;
    if (INVISIBLE.has(code)) {
      const before = chars[i - 1] ?? "";
      const after = chars[i + 1] ?? "";
      if (isLegitimateInvisible(code, before, after, i)) continue;
      invisibleCount += 1;
      if (firstInvisible < 0) firstInvisible = i;
      if (/\p{L}/u.test(before) && /\p{L}/u.test(after)) invisibleInWord = true;
      continue;
    }
    if (BIDI_OVERRIDE.has(code) || BIDI_EMBED_ISOLATE.has(code)) {
      const override = BIDI_OVERRIDE.has(code);
      if (!override && RTL_SCRIPT.test(text)) continue;
      if (code === 0x202c || code === 0x2069) continue; // terminators are reported with their opener
      issues.push({
        ruleId: override ? "hidden-unicode.bidi-override" : "hidden-unicode.bidi-control",
        severity: override ? "high" : "medium",
        index: offsets[i] ?? 0,
        length: 1,
        message: override
          ? "A right-to-left override makes text display differently from how a model reads it"
          : "Bidirectional embedding or isolate controls in text without right-to-left script",
      });
      if (code === 0x202e) recovered.push(reversedRun(chars, i + 1));
    }
  }
  flushTags(chars.length);
  if (invisibleCount > 0) {
    issues.push({
      ruleId: "hidden-unicode.invisible-characters",
      severity: invisibleInWord || invisibleCount >= 3 ? "high" : "medium",
      index: offsets[firstInvisible] ?? 0,
      length: 1,
      message: `${invisibleCount} invisible character(s) (zero-width, word joiner, BOM or filler) outside emoji and joining scripts`,
    });
  }
  const visible = visibleText(text);
  return { issues, visible, recovered: recovered.filter((item) => item.trim().length > 0) };
}

function isLegitimateInvisible(code: number, before: string, after: string, index: number): boolean {
  if (code === 0xfeff && index === 0) return true; // a byte-order mark at the start
  if (code === 0x200d && (EMOJI.test(before) || EMOJI.test(after))) return true;
  if ((code === 0x200c || code === 0x200d) && (JOINING_SCRIPT.test(before) || JOINING_SCRIPT.test(after))) {
    return true;
  }
  if (code === 0x00ad && /\p{L}/u.test(before) && /\p{L}/u.test(after)) return false;
  return false;
}

/** The characters after a right-to-left override up to its terminator, reversed. */
function reversedRun(chars: string[], from: number): string {
  const run: string[] = [];
  for (let i = from; i < chars.length; i += 1) {
    const code = chars[i]?.codePointAt(0) ?? 0;
    if (code === 0x202c || code === 0x2069 || code === 0x202a || code === 0x202d) break;
    run.push(chars[i] ?? "");
  }
  return run.reverse().join("");
}

/** Removes invisible, tag and bidi characters and applies NFKC (full-width letters become ASCII). */
export function visibleText(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (INVISIBLE.has(code) || BIDI_OVERRIDE.has(code) || BIDI_EMBED_ISOLATE.has(code)) continue;
    if (code >= 0xe0000 && code <= 0xe007f) continue;
    out += char;
  }
  return out.normalize("NFKC");
}

// Letters that look like Latin ones in other scripts (Cyrillic, Greek, Armenian...).
const LATIN = /\p{Script=Latin}/u;
const LOOKALIKE_SCRIPTS = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}\p{Script=Cherokee}]/u;

/**
 * Names a model picks tools by: an identifier mixing Latin with look-alike
 * scripts, or carrying any invisible character, impersonates another name.
 */
export function inspectName(name: string): UnicodeIssue[] {
  const issues: UnicodeIssue[] = [];
  const normalized = name.normalize("NFKC");
  if (normalized !== name && /^[\x20-\x7e]+$/.test(normalized)) {
    issues.push({
      ruleId: "hidden-unicode.confusable-name",
      severity: "high",
      index: 0,
      length: name.length,
      message: "The name uses compatibility characters (e.g. full-width letters) that look like ASCII",
    });
  }
  for (const word of name.split(/[\s_\-.:/]+/)) {
    if (LATIN.test(word) && LOOKALIKE_SCRIPTS.test(word)) {
      issues.push({
        ruleId: "hidden-unicode.confusable-name",
        severity: "high",
        index: Math.max(0, name.indexOf(word)),
        length: word.length,
        message: "The name mixes Latin letters with look-alike letters of another script",
      });
      break;
    }
  }
  if (/^[\w\-.:/\s]*$/u.test(visibleText(name)) && visibleText(name) !== name) {
    issues.push({
      ruleId: "hidden-unicode.invisible-in-name",
      severity: "high",
      index: 0,
      length: name.length,
      message: "The name contains invisible characters: it can impersonate another name",
    });
  }
  return issues;
}
