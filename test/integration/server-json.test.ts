// server.json in and out (POST /api/v1/servers/import, GET .../server.json)
// inside workerd with real D1: the pinned examples of the MCP Registry
// specification, and exports validated against the pinned schema.
import { describe, expect, inject, it } from "vitest";
import badNamePattern from "../../config/mcp-registry/examples/invalid/bad-name-pattern.json";
import descriptionTooLong from "../../config/mcp-registry/examples/invalid/description-too-long.json";
import missingName from "../../config/mcp-registry/examples/invalid/missing-name.json";
import packageVersionLatest from "../../config/mcp-registry/examples/invalid/package-version-latest.json";
import positionalMissingValue from "../../config/mcp-registry/examples/invalid/positional-argument-missing-value.json";
import minimal from "../../config/mcp-registry/examples/valid/minimal.json";
import withPackage from "../../config/mcp-registry/examples/valid/with-package.json";
import withRemote from "../../config/mcp-registry/examples/valid/with-remote.json";
import { api, fieldsOf, problemOf } from "../support/api.ts";
import { TEST_PUBLIC_URL } from "../support/idp-shared.ts";
import { registryErrors } from "../support/registry-schemas.ts";

const { everythingStreamableUrl } = inject("upstreams");

interface Imported {
  id: string;
  path: string;
  name: string;
  registryName: string | null;
  version: string | null;
  endpoints: { url: string; transport: string }[];
  catalog: { status: string };
  tools: { name: string }[];
}

async function importDocument(document: unknown, query = ""): Promise<Response> {
  return api(`/api/v1/servers/import${query}`, { method: "POST", json: document });
}

describe("server.json import", () => {
  it("imports the pinned with-remote example: variables resolved, name and details kept, export valid", async () => {
    const response = await importDocument(withRemote);
    expect(response.status, await response.clone().text()).toBe(201);
    const server = (await response.json()) as Imported;
    expect(server).toMatchObject({
      name: "Remote Weather",
      path: "remote-weather",
      registryName: "io.github.user/remote-weather",
      version: "2.1.0",
      endpoints: [{ url: "https://api.example.com/mcp", transport: "streamable-http" }],
    });

    const exported = await api(`/api/v1/servers/${server.id}/server.json`);
    expect(exported.status).toBe(200);
    const document = (await exported.json()) as Record<string, unknown>;
    expect(registryErrors("ServerDetail", document)).toEqual([]);
    expect(document).toMatchObject({
      name: "io.github.user/remote-weather",
      description: withRemote.description,
      version: "2.1.0",
      title: "Remote Weather",
      websiteUrl: withRemote.websiteUrl,
      repository: withRemote.repository,
      icons: withRemote.icons,
      remotes: [
        expect.objectContaining({ type: "streamable-http", url: `${TEST_PUBLIC_URL}/remote-weather/mcp` }),
      ],
    });
  });

  it("imports a reachable remote and reads its catalog; ?path= chooses the path", async () => {
    const response = await importDocument(
      {
        name: "io.github.example/everything",
        description: "The reference server",
        version: "1.0.0",
        remotes: [{ type: "streamable-http", url: everythingStreamableUrl }],
      },
      "?path=everything-imported",
    );
    expect(response.status, await response.clone().text()).toBe(201);
    const server = (await response.json()) as Imported;
    expect(server.path).toBe("everything-imported");
    expect(server.catalog.status).toBe("ok");
    expect(server.tools.map((tool) => tool.name)).toContain("echo");
  });

  for (const [label, document] of [
    ["with-package (packages only)", withPackage],
    ["minimal (neither remotes nor packages)", minimal],
  ] as const) {
    it(`refuses the valid ${label} example with 422 naming remotes`, async () => {
      const response = await importDocument(document);
      expect(response.status).toBe(422);
      const problem = await problemOf(response);
      expect(fieldsOf(problem)).toEqual(["remotes"]);
      if (label.startsWith("with-package")) expect(problem.errors?.[0]?.message).toMatch(/only packages/);
    });
  }

  for (const [file, document, field] of [
    ["bad-name-pattern", badNamePattern, "name"],
    ["description-too-long", descriptionTooLong, "description"],
    ["missing-name", missingName, "name"],
    ["package-version-latest", packageVersionLatest, "packages.0.version"],
    ["positional-argument-missing-value", positionalMissingValue, "packages.0.packageArguments.0"],
  ] as const) {
    it(`refuses the invalid ${file} example with 422 naming ${field}`, async () => {
      const before = await api("/api/v1/servers?limit=100");
      const count = ((await before.json()) as { items: unknown[] }).items.length;
      const response = await importDocument(document);
      expect(response.status).toBe(422);
      expect(fieldsOf(await problemOf(response))).toEqual([field]);
      const after = await api("/api/v1/servers?limit=100");
      expect(((await after.json()) as { items: unknown[] }).items).toHaveLength(count);
    });
  }

  it("refuses a remote whose URL variable has no value, naming the remote's url", async () => {
    const response = await importDocument({
      name: "io.github.example/templated",
      description: "Needs a tenant",
      version: "1.0.0",
      remotes: [{ type: "sse", url: "https://{tenant}.example.com/sse" }],
    });
    expect(response.status).toBe(422);
    expect(fieldsOf(await problemOf(response))).toEqual(["remotes.0.url"]);
  });

  it("exports a locally registered server as a valid server.json", async () => {
    const registered = await api("/api/v1/servers", {
      method: "POST",
      json: {
        name: "A local server with a rather long display name",
        path: "local-export",
        description: "x".repeat(300),
        endpoints: [{ url: everythingStreamableUrl }],
      },
    });
    const { id } = (await registered.json()) as { id: string };
    const exported = await api(`/api/v1/servers/${id}/server.json`);
    const document = (await exported.json()) as { description: string; version: string };
    expect(registryErrors("ServerDetail", document)).toEqual([]);
    expect(document.description.length).toBeLessThanOrEqual(100);
    expect(document.version).toBe("0.0.0");
    expect((await api("/api/v1/servers/does-not-exist/server.json")).status).toBe(404);
  });
});
