// Egress credentials: how the gateway authenticates to an upstream. The record
// names secrets; their values are read from the Worker's environment only when
// a request is made, and only ever go to that upstream.
import type { EgressCredential } from "../store/registry-store.ts";

export class MissingSecretError extends Error {
  override readonly name = "MissingSecretError";
  constructor(readonly secret: string) {
    super(`egress secret ${secret} is not set`);
  }
}

export interface EgressRequestParts {
  url: string;
  headers: Record<string, string>;
}

export type SecretSource = (name: string) => string | undefined;

export function secretsFromEnv(env: object): SecretSource {
  return (name) => {
    const value = (env as Record<string, unknown>)[name];
    return typeof value === "string" && value !== "" ? value : undefined;
  };
}

function readSecret(secrets: SecretSource, name: string): string {
  const value = secrets(name);
  if (value === undefined) throw new MissingSecretError(name);
  return value;
}

/** Returns the URL and headers to use for `url` with `egress` applied. */
export function applyEgress(
  url: string,
  egress: EgressCredential | null,
  secrets: SecretSource,
): EgressRequestParts {
  if (egress === null) return { url, headers: {} };
  const secret = readSecret(secrets, egress.secret);
  switch (egress.type) {
    case "bearer":
      return { url, headers: { authorization: `Bearer ${secret}` } };
    case "basic":
      return { url, headers: { authorization: `Basic ${btoa(`${egress.username}:${secret}`)}` } };
    case "api_key":
      return place(url, egress.in, egress.name, secret);
    case "template":
      return place(url, egress.in, egress.name, egress.template.replaceAll("{secret}", secret));
  }
}

function place(url: string, where: "header" | "query", name: string, value: string): EgressRequestParts {
  if (where === "header") return { url, headers: { [name.toLowerCase()]: value } };
  const target = new URL(url);
  target.searchParams.set(name, value);
  return { url: target.toString(), headers: {} };
}
