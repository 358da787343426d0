// TokenStore on Cloudflare D1 (table `vended_tokens`, see docs/storage.md).
// Listing and the rate-limit count use the (tenant, owner_issuer, subject,
// created_at) index.
import { and, count, desc, eq, gte, isNull } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type { TokenOwner, TokenStore, VendedTokenRecord } from "../token-store.ts";
import { vendedTokens } from "./schema.ts";

type TokenRow = typeof vendedTokens.$inferSelect;

export class D1TokenStore implements TokenStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async insertToken(record: VendedTokenRecord): Promise<void> {
    await this.db.insert(vendedTokens).values({ ...record });
  }

  async getToken(tenant: string, id: string): Promise<VendedTokenRecord | null> {
    const rows = await this.db
      .select()
      .from(vendedTokens)
      .where(and(eq(vendedTokens.tenant, tenant), eq(vendedTokens.id, id)))
      .limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listTokens(owner: TokenOwner, limit: number): Promise<VendedTokenRecord[]> {
    const rows = await this.db
      .select()
      .from(vendedTokens)
      .where(ownedBy(owner))
      .orderBy(desc(vendedTokens.createdAt), desc(vendedTokens.id))
      .limit(limit);
    return rows.map(fromRow);
  }

  async revokeToken(owner: TokenOwner, id: string, at: string): Promise<VendedTokenRecord | null> {
    const owned = and(ownedBy(owner), eq(vendedTokens.id, id));
    await this.db
      .update(vendedTokens)
      .set({ revokedAt: at })
      .where(and(owned, isNull(vendedTokens.revokedAt)));
    const rows = await this.db.select().from(vendedTokens).where(owned).limit(1);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async countTokensSince(owner: TokenOwner, since: string): Promise<number> {
    const rows = await this.db
      .select({ value: count() })
      .from(vendedTokens)
      .where(and(ownedBy(owner), gte(vendedTokens.createdAt, since)));
    return rows[0]?.value ?? 0;
  }
}

function ownedBy(owner: TokenOwner) {
  return and(
    eq(vendedTokens.tenant, owner.tenant),
    eq(vendedTokens.ownerIssuer, owner.issuer),
    eq(vendedTokens.subject, owner.subject),
  );
}

function fromRow(row: TokenRow): VendedTokenRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    ownerIssuer: row.ownerIssuer,
    subject: row.subject,
    name: row.name,
    scopes: row.scopes,
    groups: row.groups,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt ?? null,
  };
}
