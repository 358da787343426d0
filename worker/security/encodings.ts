// Encoded payloads: base64 (also base64url and JWT-like segments), hex, \xNN
// and \uNNNN escapes, percent-encoding, HTML numeric entities, and ROT13 when
// the text names it. Runs are decoded (nested up to three times) and kept
// only when the result reads as prose: a tool description has no reason to
// carry sentences in an encoding a person cannot read. Short samples such as
// "aGVsbG8gd29ybGQ=" (a base64 tool's example) decode to one or two words
// and are ignored; the decoded prose is returned so the intent rules read it.

export interface DecodedRun {
  encoding: string;
  index: number;
  length: number;
  decoded: string;
}

const MIN_WORDS = 4;

export function findEncodedText(text: string): DecodedRun[] {
  const runs: DecodedRun[] = [];
  const add = (encoding: string, index: number, length: number, decoded: string | null) => {
    if (decoded === null) return;
    const final = decodeNested(decoded);
    if (readsAsProse(final)) runs.push({ encoding, index, length, decoded: final });
  };
  for (const match of text.matchAll(/[A-Za-z0-9+/_-]{24,}={0,2}/g)) {
    add("base64", match.index, match[0].length, decodeBase64(match[0]));
  }
  for (const match of text.matchAll(/\b(?:[0-9a-fA-F]{2}){16,}\b/g)) {
    add("hex", match.index, match[0].length, decodeHex(match[0]));
  }
  for (const match of text.matchAll(/(?:\\+x[0-9a-fA-F]{2}){8,}/g)) {
    add("hex-escapes", match.index, match[0].length, decodeHex(match[0].replace(/\\+x/g, "")));
  }
  for (const match of text.matchAll(/(?:\\+u[0-9a-fA-F]{4}){8,}/g)) {
    const units = match[0].split(/\\+u/).filter(Boolean);
    add(
      "unicode-escapes",
      match.index,
      match[0].length,
      String.fromCharCode(...units.map((unit) => Number.parseInt(unit, 16))),
    );
  }
  for (const match of text.matchAll(/(?:%[0-9a-fA-F]{2}){8,}/g)) {
    add(
      "percent",
      match.index,
      match[0].length,
      safe(() => decodeURIComponent(match[0])),
    );
  }
  for (const match of text.matchAll(/(?:&#x?[0-9a-fA-F]{1,6};){8,}/g)) {
    const decoded = match[0].replace(/&#(x?)([0-9a-fA-F]+);/g, (_, hex: string, digits: string) =>
      String.fromCodePoint(Number.parseInt(digits, hex ? 16 : 10)),
    );
    add("html-entities", match.index, match[0].length, decoded);
  }
  if (/\brot[- ]?13\b/i.test(text)) {
    const rotated = rot13(text);
    if (readsAsProse(rotated))
      runs.push({ encoding: "rot13", index: 0, length: text.length, decoded: rotated });
  }
  return runs;
}

function decodeNested(text: string): string {
  let current = text.trim();
  for (let depth = 0; depth < 3; depth += 1) {
    if (!/^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(current)) break;
    const next = decodeBase64(current);
    if (next === null) break;
    current = next.trim();
  }
  return current;
}

function decodeBase64(run: string): string | null {
  // A JWT-like run is several base64url segments: decode each.
  const body = run.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (body.length % 4 === 1) return null;
  const padded = body + "=".repeat((4 - (body.length % 4)) % 4);
  const binary = safe(() => atob(padded));
  if (binary === null) return null;
  return utf8(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

function decodeHex(hex: string): string | null {
  if (hex.length % 2 !== 0) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return utf8(bytes);
}

function utf8(bytes: Uint8Array): string | null {
  return safe(() => new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
}

/** Mostly printable, several words of letters: something meant to be read. */
export function readsAsProse(text: string): boolean {
  if (text.length < 16) return false;
  const printableShare = Array.from(text).filter((char) =>
    /[\p{L}\p{N}\p{P}\p{Zs}\p{S}\n]/u.test(char),
  ).length;
  if (printableShare / Array.from(text).length < 0.95) return false;
  const words = text.match(/\p{L}{2,}/gu) ?? [];
  return words.length >= MIN_WORDS && /\s/.test(text);
}

function rot13(text: string): string {
  return text.replace(/[a-zA-Z]/g, (char) => {
    const base = char <= "Z" ? 65 : 97;
    return String.fromCharCode(((char.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function safe<T>(run: () => T): T | null {
  try {
    return run();
  } catch {
    return null;
  }
}
