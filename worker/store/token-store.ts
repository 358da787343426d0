// Storage port for tokens the gateway vended (personal access tokens and
// development-login tokens). The token itself is never stored: only its id
// (`jti`), owner, scopes and lifetime, so it can be listed and revoked.
// `test/contract/token-store.contract.ts` is the behaviour every adapter must show.

export interface VendedTokenRecord {
  /** The token's `jti` (a UUID). */
  id: string;
  tenant: string;
  /** The owner's subject. */
  subject: string;
  name: string;
  scopes: string[];
  /** Groups the token stands for: empty for personal access tokens. */
  groups: string[];
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
}

export interface TokenStore {
  insertToken(record: VendedTokenRecord): Promise<void>;
  getToken(tenant: string, id: string): Promise<VendedTokenRecord | null>;
  /** The owner's tokens, newest first, at most `limit`. */
  listTokens(tenant: string, subject: string, limit: number): Promise<VendedTokenRecord[]>;
  /**
   * Marks the owner's token revoked at `at` (keeps an earlier revocation time).
   * Returns the record, or null when the owner has no such token.
   */
  revokeToken(tenant: string, subject: string, id: string, at: string): Promise<VendedTokenRecord | null>;
  /** How many tokens the owner created at or after `since` (for the minting rate limit). */
  countTokensSince(tenant: string, subject: string, since: string): Promise<number>;
}
