// Validates A2A Agent Cards against the pinned A2A v0.3 JSON Schema
// (schemas/a2a-v0.3.json, a byte-exact copy of the specification's schema).
// @cfworker/json-schema runs in workerd (no code generation, unlike ajv).
// Each problem is reported once, at the JSON pointer of the offending value.
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import type { FieldError } from "../http/errors.ts";
import type { AgentCard } from "../store/agent-store.ts";
import a2aSchema from "./schemas/a2a-v0.3.json";

// Summary units ("a subschema had errors", "property x does not match") repeat
// what a more precise unit below them already says.
const SUMMARY_KEYWORDS = new Set(["$ref", "properties", "items", "additionalProperties", "allOf"]);
const BRANCH = /\/(anyOf|oneOf)\/\d+/;

let validator: Validator | null = null;

function cardValidator(): Validator {
  validator ??= new Validator(
    { $ref: "#/definitions/AgentCard", definitions: a2aSchema.definitions } as never,
    "7",
    false,
  );
  return validator;
}

export type CardCheck = { ok: true; card: AgentCard } | { ok: false; errors: FieldError[] };

/**
 * `pointerPrefix` is where the card sits in the request body (e.g. `/card`),
 * so errors name the field by its pointer in what the client sent.
 */
export function checkAgentCard(value: unknown, pointerPrefix = ""): CardCheck {
  const result = cardValidator().validate(value);
  if (result.valid) return { ok: true, card: value as AgentCard };
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const unit of result.errors) {
    if (SUMMARY_KEYWORDS.has(unit.keyword)) continue;
    // Inside anyOf/oneOf every failed branch reports; the anyOf unit says it once.
    if (BRANCH.test(unit.keywordLocation)) continue;
    const error = toFieldError(unit, pointerPrefix);
    const key = `${error.field}\u0000${error.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(error);
  }
  if (errors.length === 0) errors.push({ field: pointerPrefix, message: "not a valid A2A Agent Card" });
  return { ok: false, errors };
}

function toFieldError(unit: OutputUnit, prefix: string): FieldError {
  const at = `${prefix}${unit.instanceLocation.replace(/^#/, "")}`;
  if (unit.keyword === "required") {
    const missing = /required property "(.+)"/.exec(unit.error)?.[1];
    if (missing !== undefined) return { field: `${at}/${escapePointer(missing)}`, message: "required" };
  }
  return { field: at, message: unit.error.replace(/^Instance /, "") };
}

function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}
