// Storage port for virtual servers: curated MCP endpoints (`/v/{name}/mcp`)
// that expose chosen tools, resources and prompts of registered servers.
// A virtual server stores references (server path + item name), never copies
// of the catalog, so it always shows the upstream's current definitions.
// `test/contract/virtual-server-store.contract.ts` is the behaviour every adapter must show.

export type VirtualServerMode = "tools" | "discovery";

export interface VirtualToolRef {
  /** The registered server's path. */
  server: string;
  /** The tool's name on that server; `"*"` takes every tool of the server (no `name`/`description`). */
  tool: string;
  /** The name the virtual server exposes it under (defaults to `tool`). */
  name?: string;
  /** Replaces the tool's own description when set. */
  description?: string;
}

export interface VirtualResourceRef {
  server: string;
  /** A resource URI or a resource template (`uriTemplate`) of that server; `"*"`: all of them. */
  uri: string;
}

export interface VirtualPromptRef {
  server: string;
  /** The prompt's name on that server; `"*"` takes every prompt of the server (no `name`). */
  prompt: string;
  /** The name the virtual server exposes it under (defaults to `prompt`). */
  name?: string;
}

export interface VirtualServerRecord {
  id: string;
  tenant: string;
  /** URL slug: served at `/v/{name}/mcp`; unique across tenants (one URL space). */
  name: string;
  description: string;
  mode: VirtualServerMode;
  tools: VirtualToolRef[];
  resources: VirtualResourceRef[];
  prompts: VirtualPromptRef[];
  enabled: boolean;
  /** Subject of the principal that created it. */
  owner: string;
  createdAt: string;
  updatedAt: string;
}

export type VirtualServerChanges = Partial<
  Pick<VirtualServerRecord, "name" | "description" | "mode" | "tools" | "resources" | "prompts" | "enabled">
> & { updatedAt: string };

/** The name is already taken (the unique index decided). */
export class DuplicateVirtualServerError extends Error {
  override readonly name = "DuplicateVirtualServerError";
  constructor(readonly virtualName: string) {
    super(`virtual server name taken: ${virtualName}`);
  }
}

export interface VirtualServerStore {
  /** Throws DuplicateVirtualServerError when the name is taken. */
  insertVirtualServer(record: VirtualServerRecord): Promise<void>;
  getVirtualServer(tenant: string, id: string): Promise<VirtualServerRecord | null>;
  /** By name across tenants (names share one URL space); the caller checks the tenant. */
  getVirtualServerByName(name: string): Promise<VirtualServerRecord | null>;
  /** The tenant's virtual servers ordered by name, at most `limit`. */
  listVirtualServers(tenant: string, limit: number): Promise<VirtualServerRecord[]>;
  /** Null when there is no such record; throws DuplicateVirtualServerError on a name clash. */
  updateVirtualServer(
    tenant: string,
    id: string,
    changes: VirtualServerChanges,
  ): Promise<VirtualServerRecord | null>;
  /** True when a record was deleted. */
  deleteVirtualServer(tenant: string, id: string): Promise<boolean>;
}
