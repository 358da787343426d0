// Redaction for what the audit log keeps of caller-supplied values (tool
// arguments, admin diffs): values under secret-sounding keys, and values that
// look like credentials wherever they sit, become REDACTED. Pure functions;
// the structure (keys, array lengths, non-secret values) is kept so an
// auditor can still see what was sent.

export const REDACTED = "[redacted]";

/** Substrings of a key (lower-cased, separators dropped) that mark its value secret. */
const SECRET_KEY_PARTS =
  /password|passwd|passphrase|secret|token|apikey|accesskey|privatekey|signingkey|credential|authorization|cookie|sessionid|signature|bearer|jwt/;
/** Whole words of a key that mark its value secret (`key`, `auth`, `pwd`, `otp`, `pin`, `session`). */
const SECRET_KEY_WORDS = new Set(["key", "auth", "pwd", "otp", "pin", "session", "cvv", "ssn"]);
/** Counters that only sound secret (`max_tokens`, `tokenCount`). */
const COUNT_KEY = /^(max|min|num|total)tokens?(count|limit|used|usage)?$|^tokens?(count|limit|used|usage)$/;

/** Known credential prefixes (OpenAI/Anthropic, GitHub, Slack, Stripe, AWS, Google, GitLab, npm). */
const KNOWN_PREFIX =
  /^(sk-|sk_live_|sk_test_|rk_live_|pk_live_|ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-|xox[abprs]-|AKIA|ASIA|AIza|npm_|hf_)[A-Za-z0-9_-]{8,}/;
/** A compact JWS/JWT: three base64url segments, the first a JSON header (`ey`). */
const JWT = /^ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*$/;
/** `Bearer x`, `Basic x`, `token x` as in an Authorization header. */
const AUTH_SCHEME = /^(bearer|basic|token|digest)\s+\S{8,}/i;
/** Credentials inside a URL (`https://user:pass@host`). */
const URL_USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
/** PEM blocks (private keys, certificates). */
const PEM = /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----/;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN_HIGH_ENTROPY_LENGTH = 24;
/** Bits per character above which a long, space-free string reads as random (hex scores ~4, base64 ~5+). */
const HIGH_ENTROPY_BITS = 3.5;

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const joined = words.join("");
  if (COUNT_KEY.test(joined)) return false;
  return SECRET_KEY_PARTS.test(joined) || words.some((word) => SECRET_KEY_WORDS.has(word));
}

/** Whether a string value looks like a credential, whatever key it sits under. */
export function looksLikeCredential(value: string): boolean {
  const text = value.trim();
  if (text.length < 8) return false;
  if (KNOWN_PREFIX.test(text) || JWT.test(text) || AUTH_SCHEME.test(text) || PEM.test(text)) return true;
  if (URL_USERINFO.test(text)) return true;
  return isHighEntropyToken(text);
}

/** A long run of token characters with no spaces, mixing classes, with high Shannon entropy. */
function isHighEntropyToken(text: string): boolean {
  if (text.length < MIN_HIGH_ENTROPY_LENGTH || !/^[A-Za-z0-9+/=_\-.~]+$/.test(text)) return false;
  // Words, paths and identifiers joined by separators are not secrets, nor are UUIDs.
  if (/^[a-z]+([_\-.][a-z]+)*$/i.test(text) || UUID.test(text)) return false;
  const hasDigit = /\d/.test(text);
  const hasLetter = /[A-Za-z]/.test(text);
  if (!hasDigit || !hasLetter) return false;
  return shannonBits(text) >= HIGH_ENTROPY_BITS;
}

function shannonBits(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const MAX_DEPTH = 12;

/** A copy of `value` with secret keys' values and credential-like strings replaced by REDACTED. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return looksLikeCredential(value) ? REDACTED : value;
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item !== null && item !== undefined ? REDACTED : redact(item, depth + 1);
  }
  return out;
}
