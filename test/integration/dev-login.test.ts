// The development login: the right password yields a gateway token, a wrong
// one a 401, and with DEV_MODE off (or in production) there is no login.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../worker/env.ts";
import worker from "../../worker/index.ts";
import { problemOf } from "../support/api.ts";
import { expectUnauthorized, whoami } from "../support/tokens.ts";

function login(
  body: unknown,
  target: (request: Request) => Promise<Response> = (r) => exports.default.fetch(r),
) {
  return target(
    new Request("http://gateway.test/api/v1/auth/dev-login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}

/** The same Worker with different bindings (config and services are cached per bindings object). */
function withBindings(overrides: Record<string, string>) {
  const bindings = { ...env, ...overrides } as Env;
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  return async (request: Request) => worker.fetch(request, bindings, ctx);
}

describe("development login", () => {
  it("yields an admin token for the right user name and password", async () => {
    const response = await login({ username: env.DEV_ADMIN_USERNAME, password: env.DEV_ADMIN_PASSWORD });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBeGreaterThan(3600);
    expect((await whoami(body.access_token)).groups).toEqual(["mcp-registry-admin"]);
  });

  it("refuses a wrong password or user name with 401 and a challenge", async () => {
    for (const body of [
      { username: env.DEV_ADMIN_USERNAME, password: `${env.DEV_ADMIN_PASSWORD}x` },
      { username: "root", password: env.DEV_ADMIN_PASSWORD },
      { username: env.DEV_ADMIN_USERNAME, password: "" },
    ]) {
      const response = await login(body);
      if (body.password === "") {
        expect(response.status).toBe(422);
        continue;
      }
      const { detail } = await expectUnauthorized(response);
      expect(detail).toMatch(/wrong user name or password/);
    }
  });

  it("is disabled when DEV_MODE is false", async () => {
    const response = await login(
      { username: env.DEV_ADMIN_USERNAME, password: env.DEV_ADMIN_PASSWORD },
      withBindings({ DEV_MODE: "false" }),
    );
    expect(response.status).toBe(404);
    expect((await problemOf(response)).detail).toMatch(/not enabled/);
  });

  it("cannot be enabled in production", () => {
    const production = { ...env, ENVIRONMENT: "production", DEV_MODE: "true" } as unknown as Env;
    expect(() => loadConfig(production)).toThrow(ConfigError);
    expect(() => loadConfig(production)).toThrow(/DEV_MODE: must be false when ENVIRONMENT is production/);
  });
});
