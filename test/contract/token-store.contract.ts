// The behaviour every TokenStore adapter must have. Each adapter's test file
// calls `describeTokenStoreContract` with a factory for a store; nothing here
// knows which backend it is talking to.
import { describe, expect, it } from "vitest";
import type { TokenOwner, TokenStore, VendedTokenRecord } from "../../worker/store/token-store.ts";

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export function sampleToken(overrides: Partial<VendedTokenRecord> = {}): VendedTokenRecord {
  return {
    id: crypto.randomUUID(),
    tenant: "tenant-a",
    ownerIssuer: "https://idp-a.test",
    subject: unique("user"),
    name: "ci",
    scopes: ["servers/read", "servers/execute"],
    groups: [],
    createdAt: "2026-11-21T10:00:00.000Z",
    expiresAt: "2026-12-21T10:00:00.000Z",
    revokedAt: null,
    ...overrides,
  };
}

const ownerOf = (token: VendedTokenRecord): TokenOwner => ({
  tenant: token.tenant,
  issuer: token.ownerIssuer,
  subject: token.subject,
});

export function describeTokenStoreContract(adapter: string, makeStore: () => Promise<TokenStore>) {
  describe(`TokenStore contract: ${adapter}`, () => {
    it("stores a token and reads it back exactly", async () => {
      const store = await makeStore();
      const token = sampleToken({ groups: ["mcp-registry-admin"] });
      await store.insertToken(token);
      expect(await store.getToken(token.tenant, token.id)).toEqual(token);
    });

    it("scopes reads by tenant", async () => {
      const store = await makeStore();
      const token = sampleToken();
      await store.insertToken(token);
      expect(await store.getToken("tenant-b", token.id)).toBeNull();
      expect(await store.getToken(token.tenant, crypto.randomUUID())).toBeNull();
    });

    it("lists an owner's tokens newest first, and nobody else's", async () => {
      const store = await makeStore();
      const subject = unique("owner");
      const older = sampleToken({ subject, name: "older", createdAt: "2026-11-20T10:00:00.000Z" });
      const newer = sampleToken({ subject, name: "newer", createdAt: "2026-11-22T10:00:00.000Z" });
      await store.insertToken(older);
      await store.insertToken(newer);
      await store.insertToken(sampleToken());
      await store.insertToken(sampleToken({ subject, tenant: "tenant-b" }));
      // The same subject at another identity provider is another person.
      await store.insertToken(sampleToken({ subject, ownerIssuer: "https://idp-b.test", name: "namesake" }));
      const owner = ownerOf(older);
      const listed = await store.listTokens(owner, 10);
      expect(listed.map((token) => token.name)).toEqual(["newer", "older"]);
      expect(await store.listTokens(owner, 1)).toHaveLength(1);
      const namesake = await store.listTokens({ ...owner, issuer: "https://idp-b.test" }, 10);
      expect(namesake.map((token) => token.name)).toEqual(["namesake"]);
    });

    it("revokes only the owner's token, once, keeping the first revocation time", async () => {
      const store = await makeStore();
      const token = sampleToken();
      await store.insertToken(token);
      const owner = ownerOf(token);
      for (const stranger of [
        { ...owner, subject: "someone-else" },
        { ...owner, issuer: "https://idp-b.test" },
        { ...owner, tenant: "tenant-b" },
      ]) {
        expect(await store.revokeToken(stranger, token.id, "2026-11-23T00:00:00.000Z")).toBeNull();
      }
      expect((await store.getToken(token.tenant, token.id))?.revokedAt).toBeNull();

      const revoked = await store.revokeToken(owner, token.id, "2026-11-23T00:00:00.000Z");
      expect(revoked?.revokedAt).toBe("2026-11-23T00:00:00.000Z");
      const again = await store.revokeToken(owner, token.id, "2026-11-24T00:00:00.000Z");
      expect(again?.revokedAt).toBe("2026-11-23T00:00:00.000Z");
      expect((await store.getToken(token.tenant, token.id))?.revokedAt).toBe("2026-11-23T00:00:00.000Z");
      expect(await store.revokeToken(owner, crypto.randomUUID(), "2026-11-23T00:00:00.000Z")).toBeNull();
    });

    it("counts an owner's tokens created since a time", async () => {
      const store = await makeStore();
      const subject = unique("minter");
      for (const minute of ["10:00", "10:01", "10:02"]) {
        await store.insertToken(sampleToken({ subject, createdAt: `2026-11-21T${minute}:30.000Z` }));
      }
      const owner: TokenOwner = { tenant: "tenant-a", issuer: "https://idp-a.test", subject };
      expect(await store.countTokensSince(owner, "2026-11-21T10:01:00.000Z")).toBe(2);
      expect(await store.countTokensSince(owner, "2026-11-21T10:01:30.000Z")).toBe(2);
      expect(await store.countTokensSince(owner, "2026-11-21T11:00:00.000Z")).toBe(0);
      expect(await store.countTokensSince({ ...owner, tenant: "tenant-b" }, "2026-11-21T00:00:00.000Z")).toBe(
        0,
      );
      expect(
        await store.countTokensSince({ ...owner, issuer: "https://idp-b.test" }, "2026-11-21T00:00:00.000Z"),
      ).toBe(0);
    });
  });
}
