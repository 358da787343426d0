// Content-Type essences (RFC 9110 §8.3.1): the media type without its
// parameters, trimmed and lower-cased, so every check compares exactly
// (`application/json-seq` is not `application/json`, `text/event-streamx`
// is not an SSE stream) instead of with `includes`/`startsWith`.

/** The media type of a Content-Type header: no parameters, trimmed, lower case; "" when absent or empty. */
export function mediaTypeOf(header: string | null | undefined): string {
  if (header == null) return "";
  const semicolon = header.indexOf(";");
  return (semicolon < 0 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/;

/** Whether an essence (from `mediaTypeOf`) is JSON: `application/json` or an `application/…+json` type. */
export function isJsonMediaType(essence: string): boolean {
  return JSON_MEDIA_TYPE.test(essence);
}
