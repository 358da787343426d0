// Protected-resource metadata (RFC 9728) for the gateway, the aggregated
// /mcp endpoint and each registered server's /{path}/mcp, validated against
// the RFC's rules; and the challenge on each of those resources.
import { describe, expect, it } from "vitest";
import { api, uniquePath } from "../support/api.ts";
import { AUDIENCE, expectUnauthorized, gateway, idp, issuerUrl } from "../support/tokens.ts";

const PRM = "/.well-known/oauth-protected-resource";

/** RFC 9728 §2 and §3.3: required members, types, and `resource` equal to the URL the document was derived from. */
function expectValidMetadata(document: Record<string, unknown>, resource: string): void {
  expect(document.resource).toBe(resource);
  const url = new URL(resource);
  expect(url.hash).toBe("");
  expect(url.search).toBe("");
  expect(Array.isArray(document.authorization_servers)).toBe(true);
  for (const server of document.authorization_servers as unknown[]) {
    expect(typeof server).toBe("string");
    expect(() => new URL(server as string)).not.toThrow();
  }
  expect(document.bearer_methods_supported).toEqual(["header"]);
  expect(Array.isArray(document.scopes_supported)).toBe(true);
  expect(typeof document.resource_name).toBe("string");
}

async function metadata(path: string): Promise<Record<string, unknown>> {
  const response = await gateway(path);
  expect(response.status, await response.clone().text()).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("access-control-allow-origin")).toBe("*");
  return (await response.json()) as Record<string, unknown>;
}

describe("protected-resource metadata", () => {
  it("describes the gateway, naming every configured issuer (not the gateway: it cannot be an issuer at a plain-http public URL)", async () => {
    const document = await metadata(PRM);
    expectValidMetadata(document, AUDIENCE);
    expect(document.authorization_servers).toEqual([
      idp.main,
      issuerUrl("rotating"),
      issuerUrl("flaky"),
      issuerUrl("dead"),
      issuerUrl("cognito"),
      issuerUrl("keycloak"),
    ]);
  });

  it("describes the aggregated /mcp endpoint", async () => {
    expectValidMetadata(await metadata(`${PRM}/mcp`), `${AUDIENCE}/mcp`);
  });

  it("describes a registered server's endpoint, and 404s for unknown paths", async () => {
    const path = uniquePath("prm");
    const created = await api("/api/v1/servers", {
      method: "POST",
      json: { name: "PRM test", path, endpoints: [{ url: "http://127.0.0.1:1/mcp" }] },
    });
    expect(created.status).toBe(201);
    const document = await metadata(`${PRM}/${path}/mcp`);
    expectValidMetadata(document, `${AUDIENCE}/${path}/mcp`);
    expect(document.resource_name).toBe("PRM test");

    expect((await gateway(`${PRM}/no-such-server/mcp`)).status).toBe(404);
    expect((await gateway(`${PRM}/no-such-server`)).status).toBe(404);
  });

  it("points each 401 at the metadata of the resource that was addressed", async () => {
    const { challenge } = await expectUnauthorized(await gateway("/api/v1/tokens"));
    expect(challenge).toBe(`Bearer resource_metadata="${AUDIENCE}${PRM}"`);
  });
});
