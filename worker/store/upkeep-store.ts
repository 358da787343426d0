// The storage port of the scheduled upkeep: bulk deletions of rows past
// retention, and servers whose health checks look stopped.

export interface StaleServer {
  id: string;
  tenant: string;
  path: string;
  name: string;
}

export interface UpkeepStore {
  /** Deletes token rows that expired or were revoked before `before` (ISO); returns how many. */
  purgeTokens(before: string): Promise<number>;
  /** Deletes audit rows that occurred before `before` (ISO); returns how many. */
  purgeAudit(before: string): Promise<number>;
  /**
   * Enabled servers created before `before` whose recorded health was last
   * checked before `before` (or never): their checks may have stopped.
   */
  serversCheckedBefore(before: string, limit: number): Promise<StaleServer[]>;
}
