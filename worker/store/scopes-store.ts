// Storage port for the scopes configuration: one document per tenant,
// replaced whole, with a revision that increases by one on every change so
// isolates can notice a replacement with one cheap read. The document is
// opaque here; validation belongs to the policy module and AccessService.

export interface StoredScopes {
  tenant: string;
  /** The validated document, as JSON. */
  document: Record<string, unknown>;
  /** 1 for the first stored document; +1 on every replacement. */
  revision: number;
  updatedAt: string;
  /** Subject that stored it, or `system:default` for the seeded default. */
  updatedBy: string;
}

/** Enough to tell whether a cached copy is current. */
export interface ScopesStamp {
  revision: number;
  updatedAt: string;
}

export interface ScopesWrite {
  document: Record<string, unknown>;
  updatedAt: string;
  updatedBy: string;
}

export interface ScopesStore {
  get(tenant: string): Promise<StoredScopes | null>;
  stamp(tenant: string): Promise<ScopesStamp | null>;
  /**
   * Stores the document as revision 1 unless the tenant already has one, and
   * returns whatever is stored afterwards (the existing document wins a race).
   */
  insertIfAbsent(tenant: string, write: ScopesWrite): Promise<StoredScopes>;
  /**
   * Replaces the document atomically, revision + 1 (1 when there was none).
   * With `expectedRevision`, replaces only if the stored revision is that one
   * (0: only if nothing is stored) and returns null otherwise.
   */
  replace(tenant: string, write: ScopesWrite, expectedRevision?: number): Promise<StoredScopes | null>;
}
