// Rules for virtual servers: create, read, change, enable/disable, delete.
// Every item must name a server of the caller's tenant that the caller may
// see and an item of its stored catalog (422 naming the item); two items may
// not be exposed under one name (409 naming it); a virtual server's name may
// not be a server's path (409). A wildcard item (`"tool": "*"`, `"uri": "*"`,
// `"prompt": "*"`) takes every item of that kind of its server under their
// own names: its server must exist; the same server taken twice, or two
// wildcard servers whose catalogs share a name, is 409 naming it; an
// explicit item's exposed name wins over a wildcard's (not a conflict).
// Nothing is written unless all checks pass.
// Talks to storage only through its ports; knows nothing of HTTP.
import type { Principal } from "../auth/principal.ts";
import { type FieldError, GatewayError } from "../http/errors.ts";
import type { ResourceGrant } from "../policy/access-policy.ts";
import type { RegistryAction } from "../policy/scopes-document.ts";
import type { AccessGuard } from "../registry/access-service.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import {
  DuplicateVirtualServerError,
  type VirtualPromptRef,
  type VirtualServerRecord,
  type VirtualServerStore,
  type VirtualToolRef,
} from "../store/virtual-server-store.ts";
import { type VirtualServerCreate, type VirtualServerUpdate, WHOLE_SERVER } from "./virtual-server-input.ts";

export interface VirtualServerServiceOptions {
  store: VirtualServerStore;
  registry: RegistryStore;
  access: AccessGuard;
  now?: () => Date;
  newId?: () => string;
}

/** A virtual server as the API shows it. */
export type VirtualServerView = VirtualServerRecord & { endpoint: string };

/** The listing is one page: a tenant has at most this many virtual servers listed. */
export const MAX_LISTED = 500;

/** Items of one kind, as written in a virtual server. */
type Items = Pick<VirtualServerRecord, "tools" | "resources" | "prompts">;

export class VirtualServerService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: VirtualServerServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  async create(principal: Principal, input: VirtualServerCreate): Promise<VirtualServerView> {
    await this.requireAction(principal, "register_service", input.name);
    await this.checkItems(principal, input);
    await this.checkName(input.name, null);
    const timestamp = this.now().toISOString();
    const record: VirtualServerRecord = {
      id: this.newId(),
      tenant: principal.tenant,
      name: input.name,
      description: input.description,
      mode: input.mode,
      tools: input.tools.map(compactTool),
      resources: input.resources,
      prompts: input.prompts.map(compactPrompt),
      enabled: input.enabled,
      owner: principal.subject,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    await this.write(record.name, () => this.options.store.insertVirtualServer(record));
    return view(record);
  }

  async list(principal: Principal): Promise<{ items: VirtualServerView[] }> {
    const grant = await this.options.access.resources(principal, "list_service");
    const records = await this.options.store.listVirtualServers(principal.tenant, MAX_LISTED);
    return { items: records.filter((record) => granted(grant, record.name)).map(view) };
  }

  async get(principal: Principal, id: string): Promise<VirtualServerView> {
    return view(await this.require(principal, id, "list_service"));
  }

  /** Renaming needs `modify_service` on the new name too. Items are checked as a whole set. */
  async update(principal: Principal, id: string, patch: VirtualServerUpdate): Promise<VirtualServerView> {
    const current = await this.require(principal, id, "modify_service");
    const renamed = patch.name !== undefined && patch.name !== current.name;
    if (renamed && patch.name) await this.requireAction(principal, "modify_service", patch.name);
    const items: Items = {
      tools: patch.tools ?? current.tools,
      resources: patch.resources ?? current.resources,
      prompts: patch.prompts ?? current.prompts,
    };
    if (patch.tools || patch.resources || patch.prompts) await this.checkItems(principal, items);
    if (renamed && patch.name) await this.checkName(patch.name, current.id);
    const changes = {
      ...definedFields(patch),
      ...(patch.tools && { tools: patch.tools.map(compactTool) }),
      ...(patch.prompts && { prompts: patch.prompts.map(compactPrompt) }),
      updatedAt: this.now().toISOString(),
    };
    const updated = await this.write(patch.name ?? current.name, () =>
      this.options.store.updateVirtualServer(principal.tenant, id, changes),
    );
    if (!updated) throw notFound();
    return view(updated);
  }

  async setEnabled(principal: Principal, id: string, enabled: boolean): Promise<VirtualServerView> {
    await this.require(principal, id, "toggle_service");
    const updated = await this.options.store.updateVirtualServer(principal.tenant, id, {
      enabled,
      updatedAt: this.now().toISOString(),
    });
    if (!updated) throw notFound();
    return view(updated);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.require(principal, id, "delete_service");
    await this.options.store.deleteVirtualServer(principal.tenant, id);
  }

  /** By name, for public metadata (RFC 9728); like a server path, a name is not secret. */
  named(name: string): Promise<VirtualServerRecord | null> {
    return this.options.store.getVirtualServerByName(name);
  }

  /** The enabled virtual server served at `/v/{name}/mcp` for the caller's tenant; null otherwise. */
  async servable(tenant: string, name: string): Promise<VirtualServerRecord | null> {
    const record = await this.options.store.getVirtualServerByName(name);
    return record && record.tenant === tenant && record.enabled ? record : null;
  }

  private async require(principal: Principal, id: string, action: RegistryAction) {
    const record = await this.options.store.getVirtualServer(principal.tenant, id);
    if (!record) throw notFound();
    await this.requireAction(principal, action, record.name);
    return record;
  }

  private requireAction(principal: Principal, action: RegistryAction, name: string): Promise<void> {
    return this.options.access.require(principal, { kind: "registry", action, resource: name });
  }

  /** 409 when the name is a server's path (the two would be confused in scopes and listings). */
  private async checkName(name: string, ownId: string | null): Promise<void> {
    if (await this.options.registry.getServerByPath(name)) {
      throw new GatewayError("conflict", {
        detail: `"${name}" is the path of a registered server; choose another name`,
        errors: [{ field: "name", message: `clashes with the server path "${name}"` }],
      });
    }
    const holder = await this.options.store.getVirtualServerByName(name);
    if (holder && holder.id !== ownId) throw duplicateName(name);
  }

  private async write<T>(name: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (error instanceof DuplicateVirtualServerError) throw duplicateName(name);
      throw error;
    }
  }

  /**
   * Every item must exist in a visible server's stored catalog (422 naming
   * each missing one); no exposed name may be used twice (409 naming it).
   */
  private async checkItems(principal: Principal, items: Items): Promise<void> {
    const catalogs = await this.catalogsOf(principal, items);
    const missing: FieldError[] = [];
    // `item` is e.g. `tools.3`, `leaf` the field naming the entry (`tool`, `uri`, `prompt`).
    const check = (
      item: string,
      leaf: string,
      server: string,
      found: (entries: CatalogEntry[]) => boolean,
      what: string,
    ) => {
      const catalog = catalogs.get(server);
      if (!catalog) missing.push({ field: `${item}.server`, message: `no server "${server}"` });
      else if (!found(catalog.entries))
        missing.push({ field: `${item}.${leaf}`, message: `${what} not found on "${server}"` });
    };
    const isTool = (key: string) => (entry: CatalogEntry) => entry.kind === "tool" && entry.key === key;
    const isPrompt = (key: string) => (entry: CatalogEntry) => entry.kind === "prompt" && entry.key === key;
    const isResource = (key: string) => (entry: CatalogEntry) =>
      (entry.kind === "resource" || entry.kind === "resource_template") && entry.key === key;
    // A wildcard item needs only its server (its items are whatever the server has, now and later).
    const anyItem = () => true;
    for (const [index, ref] of items.tools.entries()) {
      if (isWholeServer(ref.tool)) {
        check(`tools.${index}`, "tool", ref.server, anyItem, "");
        continue;
      }
      check(
        `tools.${index}`,
        "tool",
        ref.server,
        (entries) => entries.some(isTool(ref.tool)),
        `tool "${ref.tool}"`,
      );
    }
    for (const [index, ref] of items.resources.entries()) {
      const what = `resource "${ref.uri}"`;
      const found = isWholeServer(ref.uri)
        ? anyItem
        : (entries: CatalogEntry[]) => entries.some(isResource(ref.uri));
      check(`resources.${index}`, "uri", ref.server, found, what);
    }
    for (const [index, ref] of items.prompts.entries()) {
      const what = `prompt "${ref.prompt}"`;
      const found = isWholeServer(ref.prompt)
        ? anyItem
        : (entries: CatalogEntry[]) => entries.some(isPrompt(ref.prompt));
      check(`prompts.${index}`, "prompt", ref.server, found, what);
    }
    if (missing.length > 0) {
      const first = missing[0];
      throw new GatewayError("validation", {
        detail: first ? `${first.field}: ${first.message}` : undefined,
        errors: missing,
      });
    }
    duplicateCheck(
      "tools",
      items.tools.map((ref) => (isWholeServer(ref.tool) ? null : exposedToolName(ref))),
      "tool",
    );
    duplicateCheck(
      "prompts",
      items.prompts.map((ref) => (isWholeServer(ref.prompt) ? null : exposedPromptName(ref))),
      "prompt",
    );
    duplicateCheck(
      "resources",
      items.resources.map((ref) => (isWholeServer(ref.uri) ? null : ref.uri)),
      "resource",
    );
    const keysOf = (path: string, kinds: CatalogEntry["kind"][]) =>
      (catalogs.get(path)?.entries ?? [])
        .filter((entry) => kinds.includes(entry.kind))
        .map((entry) => entry.key);
    wildcardCheck(
      "tools",
      "tool",
      items.tools.map((ref) => [ref.server, ref.tool]),
      (path) => keysOf(path, ["tool"]),
    );
    wildcardCheck(
      "resources",
      "uri",
      items.resources.map((ref) => [ref.server, ref.uri]),
      (path) => keysOf(path, ["resource", "resource_template"]),
    );
    wildcardCheck(
      "prompts",
      "prompt",
      items.prompts.map((ref) => [ref.server, ref.prompt]),
      (path) => keysOf(path, ["prompt"]),
    );
  }

  /** The stored catalogs of the servers the items name, when the caller may see them. */
  private async catalogsOf(
    principal: Principal,
    items: Items,
  ): Promise<Map<string, { server: ServerRecord; entries: CatalogEntry[] }>> {
    const paths = new Set([...items.tools, ...items.resources, ...items.prompts].map((ref) => ref.server));
    const grant = await this.options.access.resources(principal, "list_service");
    const found = new Map<string, { server: ServerRecord; entries: CatalogEntry[] }>();
    await Promise.all(
      [...paths].map(async (path) => {
        const server = await this.options.registry.getServerByPath(path);
        // A server the caller may not see is reported exactly like one that does not exist.
        if (!server || server.tenant !== principal.tenant || !granted(grant, path)) return;
        found.set(path, {
          server,
          entries: await this.options.registry.listCatalog(server.tenant, server.id),
        });
      }),
    );
    return found;
  }
}

export function exposedToolName(ref: VirtualToolRef): string {
  return ref.name ?? ref.tool;
}

export function exposedPromptName(ref: VirtualPromptRef): string {
  return ref.name ?? ref.prompt;
}

export function virtualEndpoint(name: string): string {
  return `/v/${name}/mcp`;
}

/** True for the item name that takes the whole server (virtual-server-input.ts). */
export function isWholeServer(item: string): boolean {
  return item === WHOLE_SERVER;
}

/** Explicit items' exposed names must be unique (null: a wildcard item, checked by wildcardCheck). */
function duplicateCheck(kind: keyof Items, names: (string | null)[], what: string): void {
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === null) return;
    if (seen.has(name)) {
      throw new GatewayError("conflict", {
        detail: `Two ${kind} are exposed as "${name}"`,
        errors: [
          {
            field: `${kind}.${index}${kind === "resources" ? ".uri" : ".name"}`,
            message: `${what} name "${name}" is used twice`,
          },
        ],
      });
    }
    seen.add(name);
  });
}

/**
 * Wildcard items of one kind: a server taken whole twice, or two taken
 * whole whose current catalogs share a name, is 409 naming it (which server
 * would answer would be a guess). At serving time, should catalogs change
 * later, the first wildcard item holding a name wins (virtual-view.ts).
 */
function wildcardCheck(
  kind: keyof Items,
  leaf: string,
  refs: [server: string, item: string][],
  keysOf: (server: string) => string[],
): void {
  const holders = new Map<string, string>();
  const servers = new Set<string>();
  for (const [index, [server, item]] of refs.entries()) {
    if (!isWholeServer(item)) continue;
    if (servers.has(server)) {
      throw new GatewayError("conflict", {
        detail: `"${server}" is taken whole twice in ${kind}`,
        errors: [{ field: `${kind}.${index}.server`, message: `"${server}" is already taken whole` }],
      });
    }
    servers.add(server);
    for (const key of keysOf(server)) {
      const holder = holders.get(key);
      if (holder !== undefined) {
        throw new GatewayError("conflict", {
          detail: `"${key}" is exposed by both "${holder}" and "${server}", each taken whole`,
          errors: [
            {
              field: `${kind}.${index}.${leaf}`,
              message: `"${key}" is also exposed by "${holder}" (taken whole)`,
            },
          ],
        });
      }
      holders.set(key, server);
    }
  }
}

function granted(grant: ResourceGrant, name: string): boolean {
  return grant.all || grant.names.includes(name);
}

/** Optional fields are stored only when given, so records stay minimal. */
function compactTool(ref: VirtualToolRef): VirtualToolRef {
  return {
    server: ref.server,
    tool: ref.tool,
    ...(ref.name !== undefined && { name: ref.name }),
    ...(ref.description !== undefined && { description: ref.description }),
  };
}

function compactPrompt(ref: VirtualPromptRef): VirtualPromptRef {
  return { server: ref.server, prompt: ref.prompt, ...(ref.name !== undefined && { name: ref.name }) };
}

function definedFields<T extends Record<string, unknown>>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function view(record: VirtualServerRecord): VirtualServerView {
  return { ...record, endpoint: virtualEndpoint(record.name) };
}

function notFound(): GatewayError {
  return new GatewayError("not-found", { detail: "No such virtual server" });
}

function duplicateName(name: string): GatewayError {
  return new GatewayError("conflict", {
    detail: `A virtual server named "${name}" already exists`,
    errors: [{ field: "name", message: "already taken" }],
  });
}
