// UserCredentialStore on Cloudflare D1 (table `user_credentials`, see
// docs/storage.md): ciphertext and metadata only.
import { and, asc, eq } from "drizzle-orm";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import type {
  ConnectionStatus,
  CredentialOwner,
  UserCredentialRecord,
  UserCredentialStore,
} from "../user-credential-store.ts";
import { userCredentials } from "./schema.ts";

export class D1UserCredentialStore implements UserCredentialStore {
  private readonly db: DrizzleD1Database;

  constructor(database: D1Database) {
    this.db = drizzle(database);
  }

  async get(owner: CredentialOwner, serverId: string): Promise<UserCredentialRecord | null> {
    const rows = await this.db.select().from(userCredentials).where(keyOf(owner, serverId)).limit(1);
    return rows[0] ?? null;
  }

  async put(record: UserCredentialRecord): Promise<void> {
    const { tenant, serverId, issuer, subject, createdAt: _createdAt, ...changes } = record;
    await this.db
      .insert(userCredentials)
      .values(record)
      .onConflictDoUpdate({
        target: [
          userCredentials.tenant,
          userCredentials.serverId,
          userCredentials.issuer,
          userCredentials.subject,
        ],
        set: changes,
      });
  }

  async listForUser(tenant: string, subject: string, issuer: string | null): Promise<UserCredentialRecord[]> {
    const conditions = [eq(userCredentials.tenant, tenant), eq(userCredentials.subject, subject)];
    if (issuer !== null) conditions.push(eq(userCredentials.issuer, issuer));
    return this.db
      .select()
      .from(userCredentials)
      .where(and(...conditions))
      .orderBy(asc(userCredentials.serverId))
      .limit(500);
  }

  async setStatus(
    owner: CredentialOwner,
    serverId: string,
    status: ConnectionStatus,
    at: string,
  ): Promise<void> {
    await this.db.update(userCredentials).set({ status, updatedAt: at }).where(keyOf(owner, serverId));
  }

  async delete(owner: CredentialOwner, serverId: string): Promise<boolean> {
    const deleted = await this.db
      .delete(userCredentials)
      .where(keyOf(owner, serverId))
      .returning({ serverId: userCredentials.serverId });
    return deleted.length > 0;
  }

  async deleteForServer(tenant: string, serverId: string): Promise<void> {
    await this.db
      .delete(userCredentials)
      .where(and(eq(userCredentials.tenant, tenant), eq(userCredentials.serverId, serverId)));
  }
}

function keyOf(owner: CredentialOwner, serverId: string) {
  return and(
    eq(userCredentials.tenant, owner.tenant),
    eq(userCredentials.serverId, serverId),
    eq(userCredentials.issuer, owner.issuer),
    eq(userCredentials.subject, owner.subject),
  );
}
