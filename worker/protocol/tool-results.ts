// Which tools/call results the MCP SDK's 2026-07-28 result schema takes
// exactly as they are: only text blocks of `{type, text}`, a boolean
// `isError`, an object `_meta`, anything as `structuredContent`, and a
// `resultType` of "complete" (or none). For these, checking and re-encoding
// with the SDK (a zod parse that strips unknown keys and reports failures in
// its own words) cannot change a byte, so a hot path may skip it; anything
// else goes through the SDK. Pure; imports nothing.

type Fields = Record<string, unknown>;

const RESULT_KEYS = new Set(["content", "structuredContent", "isError", "_meta", "resultType"]);

/** True when the SDK's 2026-07-28 tools/call result schema accepts `result` unchanged. */
export function isPlainToolResult(result: Fields): boolean {
  if (result.resultType !== undefined && result.resultType !== "complete") return false;
  for (const key of Object.keys(result)) if (!RESULT_KEYS.has(key)) return false;
  if (result.isError !== undefined && typeof result.isError !== "boolean") return false;
  if (result._meta !== undefined && !isPlainObject(result._meta)) return false;
  return isPlainTextContent(result.content);
}

/** Content the schema takes unchanged: an array of `{type: "text", text}` blocks and nothing else. */
export function isPlainTextContent(content: unknown): boolean {
  if (!Array.isArray(content)) return false;
  for (const block of content) {
    if (!isPlainObject(block) || block.type !== "text" || typeof block.text !== "string") return false;
    if (Object.keys(block).length !== 2) return false;
  }
  return true;
}

export function isPlainObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
