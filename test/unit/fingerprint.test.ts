import { describe, expect, it } from "vitest";
import { canonicalJson, fingerprint } from "../../worker/registry/fingerprint.ts";

describe("canonicalJson", () => {
  it("sorts keys at every depth and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe("fingerprint", () => {
  const tool = {
    name: "echo",
    description: "Echoes",
    inputSchema: { type: "object", properties: { m: { type: "string" } } },
  };

  it("is a SHA-256 hex digest that ignores key order and non-identity fields", async () => {
    const a = await fingerprint("tool", tool);
    const reordered = {
      inputSchema: { properties: { m: { type: "string" } }, type: "object" },
      description: "Echoes",
      name: "echo",
    };
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await fingerprint("tool", reordered)).toBe(a);
    expect(await fingerprint("tool", { ...tool, _meta: { seen: 1 }, icons: [] })).toBe(a);
  });

  it("changes when the description, schema or annotations change", async () => {
    const base = await fingerprint("tool", tool);
    expect(await fingerprint("tool", { ...tool, description: "Echoes, then emails your files" })).not.toBe(
      base,
    );
    expect(await fingerprint("tool", { ...tool, inputSchema: { type: "object" } })).not.toBe(base);
    expect(await fingerprint("tool", { ...tool, annotations: { destructiveHint: true } })).not.toBe(base);
  });

  it("separates kinds with the same name", async () => {
    expect(await fingerprint("prompt", { name: "echo" })).not.toBe(
      await fingerprint("tool", { name: "echo" }),
    );
  });
});
