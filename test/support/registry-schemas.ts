// Validates MCP Registry API answers against the pinned specification
// (config/mcp-registry/openapi.yaml components, JSON Schema 2020-12) and each
// `server` against the pinned server.schema.json (draft-07). Runs in workerd
// and in Node alike (@cfworker/json-schema; the YAML arrives as text).
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import { parse } from "yaml";
import openapiText from "../../config/mcp-registry/openapi.yaml?raw";
import serverSchema from "../../config/mcp-registry/server.schema.json";

const components = (parse(openapiText) as { components: Record<string, unknown> }).components;
const validators = new Map<string, Validator>();
const serverJson = new Validator(serverSchema as object, "7", false);

function component(name: string): Validator {
  let validator = validators.get(name);
  if (!validator) {
    validator = new Validator({ $ref: `#/components/schemas/${name}`, components }, "2020-12", false);
    validators.set(name, validator);
  }
  return validator;
}

function describeErrors(errors: OutputUnit[]): string[] {
  return errors.map((error) => `${error.instanceLocation} ${error.keyword}: ${error.error}`);
}

/** Errors of `value` against an openapi.yaml component (and every server in it against server.schema.json). */
export function registryErrors(
  name: "ServerList" | "ServerResponse" | "ServerDetail",
  value: unknown,
): string[] {
  const errors = describeErrors(component(name).validate(value).errors);
  const servers =
    name === "ServerList"
      ? ((value as { servers?: { server?: unknown }[] }).servers ?? []).map((item) => item.server)
      : name === "ServerResponse"
        ? [(value as { server?: unknown }).server]
        : [value];
  for (const server of servers) errors.push(...describeErrors(serverJson.validate(server).errors));
  return errors;
}
