// Every piece of text in a catalog definition that a model will read: names,
// titles, descriptions, parameter names and descriptions at any depth of a
// JSON schema, enums, defaults, examples, $comment, annotations, prompt
// arguments, skill tags and examples. Structural keywords (type, format,
// $ref...) are skipped: they are not prose and cannot carry instructions
// that a client shows the model.

export type FieldRole = "name" | "text";

export interface TextField {
  /** Dotted path into the definition, e.g. `inputSchema.properties.city.description`. */
  path: string;
  text: string;
  /** `name`: an identifier a model picks tools by (tool names, parameter names). */
  role: FieldRole;
}

const STRUCTURAL_KEYS = new Set([
  "type",
  "$schema",
  "$ref",
  "$id",
  "$anchor",
  "format",
  "mimeType",
  "contentEncoding",
  "contentMediaType",
  "required",
]);
const NAME_KEYS = new Set(["name", "key", "id"]);
const MAX_FIELDS = 2_000;
const MAX_DEPTH = 24;

export function textFields(definition: Record<string, unknown>): TextField[] {
  const fields: TextField[] = [];
  walk(definition, "", 0, fields, false);
  return fields;
}

function walk(value: unknown, path: string, depth: number, out: TextField[], inProperties: boolean): void {
  if (out.length >= MAX_FIELDS || depth > MAX_DEPTH) return;
  if (typeof value === "string") {
    const last = path.slice(path.lastIndexOf(".") + 1);
    out.push({ path, text: value, role: depth <= 1 && NAME_KEYS.has(last) ? "name" : "text" });
    return;
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`, depth + 1, out, false);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const childPath = path === "" ? key : `${path}.${key}`;
    // Keys of `properties` are parameter names: a model reads them as much as descriptions.
    if (inProperties) out.push({ path: `${childPath}#name`, text: key, role: "name" });
    if (!inProperties && STRUCTURAL_KEYS.has(key)) continue;
    walk(
      child,
      childPath,
      depth + 1,
      out,
      !inProperties && (key === "properties" || key === "patternProperties"),
    );
  }
}
