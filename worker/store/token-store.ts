// Storage port for tokens the gateway vended (personal access tokens and
// development-login tokens). The token itself is never stored: only its id
// (`jti`), owner, scopes and lifetime, so it can be listed and revoked.
// `test/contract/token-store.contract.ts` is the behaviour every adapter must show.

/**
 * Who owns a token. Subjects are unique only per issuer, so an owner is the
 * triple: two identity providers may both have a user "alice".
 */
export interface TokenOwner {
  tenant: string;
  /** The issuer that vouched for the owner (an IdP, or the gateway for the development admin). */
  issuer: string;
  subject: string;
}

export interface VendedTokenRecord {
  /** The token's `jti` (a UUID). */
  id: string;
  tenant: string;
  /** The owner's issuer. */
  ownerIssuer: string;
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
  listTokens(owner: TokenOwner, limit: number): Promise<VendedTokenRecord[]>;
  /**
   * Marks the owner's token revoked at `at` (keeps an earlier revocation time).
   * Returns the record, or null when the owner has no such token.
   */
  revokeToken(owner: TokenOwner, id: string, at: string): Promise<VendedTokenRecord | null>;
  /** How many tokens the owner created at or after `since` (for the minting rate limit). */
  countTokensSince(owner: TokenOwner, since: string): Promise<number>;
}
