// Calling the real gateway (exports.default: real routes, services, D1) as any
// principal, for access-control tests. The seam is narrow: while installed,
// bearer tokens of the form `test-principal.<id>` are answered from a table of
// principals minted here; every other token goes to the real Authenticator.
// It works because tests and the worker share module instances inside
// workerd. Nothing in worker/ knows about it.
//
// When identity's test support can mint real IdP tokens with arbitrary groups
// and tenant, tests can switch to those and this file can go.
import { exports } from "cloudflare:workers";
import { afterAll, beforeAll, vi } from "vitest";
import { Authenticator } from "../../worker/auth/authenticator.ts";
import type { Principal } from "../../worker/auth/principal.ts";
import { BASE } from "./api.ts";

const PREFIX = "test-principal.";
const minted = new Map<string, Principal>();

/** Installs the seam for the current test file (call at module level). */
export function usePrincipalSeam(): void {
  beforeAll(() => {
    const real = Authenticator.prototype.authenticate;
    vi.spyOn(Authenticator.prototype, "authenticate").mockImplementation(async function (
      this: Authenticator,
      token: string,
      requestUrl: string,
    ) {
      const principal = token.startsWith(PREFIX) ? minted.get(token) : undefined;
      return principal ? { ...principal } : real.call(this, token, requestUrl);
    });
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
}

let counter = 0;

/** A principal with sensible defaults; `groups` and `tenant` are what access tests vary. */
export function principal(overrides: Partial<Principal> & Pick<Principal, "tenant">): Principal {
  counter += 1;
  return {
    subject: `test-subject-${counter}`,
    issuer: "https://idp.test",
    groups: [],
    scopes: [],
    kind: "machine",
    credential: "idp",
    ...overrides,
  };
}

/** A bearer token that the seam resolves to `who`. */
export function tokenFor(who: Principal): string {
  const token = `${PREFIX}${crypto.randomUUID()}`;
  minted.set(token, who);
  return token;
}

export type ApiInit = RequestInit & { json?: unknown; yaml?: string };

/** Calls the gateway as `who`; `json`/`yaml` set the body and its content type. */
export async function apiAs(who: Principal, path: string, init: ApiInit = {}): Promise<Response> {
  const { json, yaml, headers, ...rest } = init;
  const merged: Record<string, string> = {
    ...(headers as Record<string, string> | undefined),
    authorization: `Bearer ${tokenFor(who)}`,
  };
  let body = rest.body;
  if (json !== undefined) {
    merged["content-type"] = "application/json";
    body = JSON.stringify(json);
  }
  if (yaml !== undefined) {
    merged["content-type"] ??= "application/yaml";
    body = yaml;
  }
  return exports.default.fetch(`${BASE}${path}`, { ...rest, headers: merged, body });
}

/** A tenant of its own, so a test file's scopes document and servers meet no one else's. */
export function uniqueTenant(prefix = "policy"): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
}
