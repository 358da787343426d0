import { describe, expect, it } from "vitest";
import { applyEgress, MissingSecretError, secretsFromEnv } from "../../worker/upstream/egress.ts";

const secrets = secretsFromEnv({ TOKEN: "s3cret", EMPTY: "", NUMBER: 5 });
const url = "https://upstream.example/mcp?x=1";

describe("applyEgress", () => {
  it("adds nothing without a credential", () => {
    expect(applyEgress(url, null, secrets)).toEqual({ url, headers: {} });
  });

  it("builds bearer and basic Authorization headers from the secret", () => {
    expect(applyEgress(url, { type: "bearer", secret: "TOKEN" }, secrets).headers).toEqual({
      authorization: "Bearer s3cret",
    });
    expect(applyEgress(url, { type: "basic", username: "bot", secret: "TOKEN" }, secrets).headers).toEqual({
      authorization: `Basic ${btoa("bot:s3cret")}`,
    });
  });

  it("places API keys and templates in a header or the query", () => {
    expect(
      applyEgress(url, { type: "api_key", secret: "TOKEN", in: "header", name: "X-API-Key" }, secrets),
    ).toEqual({
      url,
      headers: { "x-api-key": "s3cret" },
    });
    expect(applyEgress(url, { type: "api_key", secret: "TOKEN", in: "query", name: "key" }, secrets)).toEqual(
      {
        url: "https://upstream.example/mcp?x=1&key=s3cret",
        headers: {},
      },
    );
    const template = {
      type: "template",
      secret: "TOKEN",
      in: "header",
      name: "Authorization",
      template: "token {secret}",
    } as const;
    expect(applyEgress(url, template, secrets).headers).toEqual({ authorization: "token s3cret" });
  });

  it("fails clearly when the secret is missing, empty or not a string", () => {
    for (const secret of ["MISSING", "EMPTY", "NUMBER"]) {
      expect(() => applyEgress(url, { type: "bearer", secret }, secrets)).toThrow(MissingSecretError);
    }
  });
});
