// Per-user upstream credentials (3-legged OAuth, worker/oauth/connection-service.ts):
// one record per tenant, server and user. The store never sees a token: the
// service seals the token set (AES-GCM) before it gets here.

export type ConnectionStatus = "connected" | "reconnect_required";

/** Who a credential belongs to: a principal's tenant, issuer and subject. */
export interface CredentialOwner {
  tenant: string;
  issuer: string;
  subject: string;
}

export interface UserCredentialRecord extends CredentialOwner {
  serverId: string;
  /** The user's display name when they connected (for admins' lists). */
  userName: string | null;
  status: ConnectionStatus;
  /** base64url AES-GCM ciphertext of the token set, and its IV. */
  ciphertext: string;
  iv: string;
  /** When the access token expires (ISO 8601); null when the provider did not say. */
  expiresAt: string | null;
  scopes: string[];
  createdAt: string;
  updatedAt: string;
}

export interface UserCredentialStore {
  get(owner: CredentialOwner, serverId: string): Promise<UserCredentialRecord | null>;
  /** Inserts or replaces the record of (tenant, server, issuer, subject). */
  put(record: UserCredentialRecord): Promise<void>;
  /** A user's connections; `issuer` null: every issuer's user with this subject (admins' lookup). */
  listForUser(tenant: string, subject: string, issuer: string | null): Promise<UserCredentialRecord[]>;
  setStatus(owner: CredentialOwner, serverId: string, status: ConnectionStatus, at: string): Promise<void>;
  /** False when there was nothing to delete. */
  delete(owner: CredentialOwner, serverId: string): Promise<boolean>;
  /** Every user's credential for a server (the server was deleted). */
  deleteForServer(tenant: string, serverId: string): Promise<void>;
}
