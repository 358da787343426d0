// The storage port for A2A agents. Services depend on this interface only; the
// D1 adapter implements it (store/d1/d1-agent-store.ts) and another backend
// must pass the same contract suite (test/contract/agent-store.contract.ts).
import type { Page, Viewer, Visibility } from "./registry-store.ts";

export type TrustLevel = "unverified" | "community" | "verified";

/** An A2A Agent Card, stored exactly as validated against the pinned A2A schema. */
export type AgentCard = Record<string, unknown> & {
  name: string;
  description: string;
  url: string;
  version: string;
  skills: AgentSkill[];
};

export interface AgentSkill {
  id: string;
  name: string;
  description: string;
  tags: string[];
  examples?: string[];
  [key: string]: unknown;
}

export interface AgentRecord {
  id: string;
  tenant: string;
  /** Unique URL slug, shared with server paths: the card is at `/agents/{path}/.well-known/agent-card.json`. */
  path: string;
  card: AgentCard;
  tags: string[];
  visibility: Visibility;
  /** Groups that may see the agent when `visibility` is `group`. */
  groups: string[];
  trustLevel: TrustLevel;
  enabled: boolean;
  /** Subject of the principal that registered it. */
  owner: string;
  createdAt: string;
  updatedAt: string;
}

export interface AgentQuery {
  enabled?: boolean;
  tag?: string;
  trustLevel?: TrustLevel;
  /** Case-insensitive substring of name, path, description or a skill's name/description/tags. */
  text?: string;
  /** Only agents with one of these paths (the caller's access grant); [] matches none. */
  paths?: string[];
  /** Only agents this viewer may see (visibility); absent: no visibility filter. */
  viewer?: Viewer;
  limit: number;
  /** Opaque; from a previous page's `nextCursor`. */
  cursor?: string;
}

export class DuplicateAgentPathError extends Error {
  override readonly name = "DuplicateAgentPathError";
  constructor(readonly path: string) {
    super(`an agent with path "${path}" already exists`);
  }
}

export interface AgentStore {
  /** Throws DuplicateAgentPathError. */
  insertAgent(agent: AgentRecord): Promise<void>;
  getAgent(tenant: string, id: string): Promise<AgentRecord | null>;
  /** Paths are unique across tenants (one URL space). */
  getAgentByPath(path: string): Promise<AgentRecord | null>;
  /** Ordered by path; `cursor` continues after the last item seen. Throws InvalidCursorError. */
  listAgents(tenant: string, query: AgentQuery): Promise<Page<AgentRecord>>;
  /** Replaces the stored record (same id and tenant). Returns false when absent. Throws DuplicateAgentPathError. */
  updateAgent(agent: AgentRecord): Promise<boolean>;
  /** Returns false when absent. */
  deleteAgent(tenant: string, id: string): Promise<boolean>;
}
