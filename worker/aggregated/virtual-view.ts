// What one caller sees through a virtual server: of the items the virtual
// server names, those whose server is usable (enabled, same tenant, catalog
// readable) and that the caller's own grants allow (a tool when tools/call of
// it is allowed, resources when resources/read is, prompts when prompts/get
// is). Built from the stored catalogs of the named servers only, so a
// virtual server over 3 servers never reads the other 997. A virtual server
// never widens access: this is the same decision the server's own endpoint makes
// (visibility via `access.sees`, grants via `access.decide`, and tool pinning:
// only approved tools are in the catalog it reads).
// A wildcard item (`"tool": "*"` etc.) adds every item of that kind of its
// server's approved catalog under its own name, after the explicit items (an
// explicit exposed name wins; among wildcard items the first holding a name
// wins). Its server is also where a name the view does not list goes
// (`wildcardTarget`): the caller still needs the grant, decided per call.
import { UriTemplate } from "@modelcontextprotocol/server";
import type { Principal } from "../auth/principal.ts";
import type { McpAccess } from "../edge/access.ts";
import type { ServerDirectory } from "../registry/server-directory.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import type { VirtualPromptRef, VirtualServerRecord, VirtualToolRef } from "../store/virtual-server-store.ts";
import { exposedPromptName, exposedToolName, isWholeServer } from "../virtual/virtual-server-service.ts";
import { findExposedServer } from "./gateway-view.ts";

export interface VirtualItem<Ref> {
  /** The exposed name (tools, prompts) or URI (resources, templates). */
  name: string;
  ref: Ref;
  server: ServerRecord;
  entry: CatalogEntry;
}

/** A server taken whole for one kind of item, as the caller may reach it. */
export interface WildcardSource {
  server: ServerRecord;
  /** The names (tools, prompts) or URIs its approved catalog holds of that kind. */
  keys: ReadonlySet<string>;
}

export interface VirtualView {
  tools: VirtualItem<VirtualToolRef>[];
  resources: VirtualItem<{ server: string; uri: string }>[];
  resourceTemplates: VirtualItem<{ server: string; uri: string }>[];
  prompts: VirtualItem<VirtualPromptRef>[];
  /**
   * Servers taken whole, in item order, that the caller may see; `sole` is
   * true when the record has exactly one wildcard item of that kind.
   */
  wildcards: Record<"tools" | "resources" | "prompts", { sources: WildcardSource[]; sole: boolean }>;
}

export interface VirtualViewSources {
  store: RegistryStore;
  directory: ServerDirectory;
  /** Tool pinning: cuts a stored catalog to approved entries. */
  approved: (server: ServerRecord, entries: CatalogEntry[]) => Promise<CatalogEntry[]>;
}

export async function loadVirtualView(
  sources: VirtualViewSources,
  principal: Principal,
  access: McpAccess,
  record: VirtualServerRecord,
): Promise<VirtualView> {
  const paths = new Set([...record.tools, ...record.resources, ...record.prompts].map((ref) => ref.server));
  const catalogs = new Map<string, { server: ServerRecord; entries: Map<string, CatalogEntry> }>();
  await Promise.all(
    [...paths].map(async (path) => {
      const server = await findExposedServer(sources.directory, principal, path, access);
      if (!server) return;
      const entries = await sources.approved(
        server,
        await sources.store.listCatalog(server.tenant, server.id),
      );
      catalogs.set(path, {
        server,
        entries: new Map(entries.map((entry) => [`${entry.kind} ${entry.key}`, entry])),
      });
    }),
  );
  const lookup = (path: string, kinds: CatalogEntry["kind"][], key: string) => {
    const catalog = catalogs.get(path);
    if (!catalog) return null;
    for (const kind of kinds) {
      const entry = catalog.entries.get(`${kind} ${key}`);
      if (entry) return { server: catalog.server, entry };
    }
    return null;
  };

  const wildcardsOf = <Ref extends { server: string }>(
    refs: Ref[],
    item: (ref: Ref) => string,
    kinds: CatalogEntry["kind"][],
    usable: (server: string) => boolean = () => true,
  ) => {
    const taken = refs.filter((ref) => isWholeServer(item(ref)));
    const sources = taken.flatMap((ref) => {
      const catalog = catalogs.get(ref.server);
      if (!catalog || !usable(ref.server)) return [];
      const keys = [...catalog.entries.values()].filter((entry) => kinds.includes(entry.kind));
      return [{ server: catalog.server, keys: new Set(keys.map((entry) => entry.key)) }];
    });
    return { sources, sole: taken.length === 1 };
  };
  const view: VirtualView = {
    tools: [],
    resources: [],
    resourceTemplates: [],
    prompts: [],
    wildcards: {
      tools: wildcardsOf(record.tools, (ref) => ref.tool, ["tool"]),
      // Resources have no per-item grant: a server taken whole is a source only when the caller may read it.
      resources: wildcardsOf(
        record.resources,
        (ref) => ref.uri,
        ["resource", "resource_template"],
        (server) => access.decide(server, "resources/read").allow,
      ),
      prompts: wildcardsOf(record.prompts, (ref) => ref.prompt, ["prompt"]),
    },
  };
  // Explicit items first: their exposed names win over a wildcard's.
  const explicit = <Ref extends { server: string }>(refs: Ref[], item: (ref: Ref) => string) =>
    refs.filter((ref) => !isWholeServer(item(ref)));
  for (const ref of explicit(record.tools, (ref) => ref.tool)) {
    const found = lookup(ref.server, ["tool"], ref.tool);
    if (found && access.decide(ref.server, "tools/call", ref.tool).allow) {
      view.tools.push({ name: exposedToolName(ref), ref, ...found });
    }
  }
  for (const ref of explicit(record.resources, (ref) => ref.uri)) {
    const found = lookup(ref.server, ["resource", "resource_template"], ref.uri);
    if (!found || !access.decide(ref.server, "resources/read").allow) continue;
    const list = found.entry.kind === "resource" ? view.resources : view.resourceTemplates;
    list.push({ name: ref.uri, ref, ...found });
  }
  for (const ref of explicit(record.prompts, (ref) => ref.prompt)) {
    const found = lookup(ref.server, ["prompt"], ref.prompt);
    if (found && access.decide(ref.server, "prompts/get").allow) {
      view.prompts.push({ name: exposedPromptName(ref), ref, ...found });
    }
  }
  // Wildcard items: every approved catalog item of their servers not yet exposed under its name.
  const taken = {
    tools: new Set(view.tools.map((item) => item.name)),
    resources: new Set([...view.resources, ...view.resourceTemplates].map((item) => item.name)),
    prompts: new Set(view.prompts.map((item) => item.name)),
  };
  const entriesOf = (server: ServerRecord, kinds: CatalogEntry["kind"][]) =>
    [...(catalogs.get(server.path)?.entries.values() ?? [])].filter((entry) => kinds.includes(entry.kind));
  for (const { server } of view.wildcards.tools.sources) {
    for (const entry of entriesOf(server, ["tool"])) {
      if (taken.tools.has(entry.key) || !access.decide(server.path, "tools/call", entry.key).allow) continue;
      taken.tools.add(entry.key);
      view.tools.push({ name: entry.key, ref: { server: server.path, tool: entry.key }, server, entry });
    }
  }
  for (const { server } of view.wildcards.resources.sources) {
    for (const entry of entriesOf(server, ["resource", "resource_template"])) {
      if (taken.resources.has(entry.key)) continue;
      taken.resources.add(entry.key);
      const list = entry.kind === "resource" ? view.resources : view.resourceTemplates;
      list.push({ name: entry.key, ref: { server: server.path, uri: entry.key }, server, entry });
    }
  }
  for (const { server } of view.wildcards.prompts.sources) {
    if (!access.decide(server.path, "prompts/get").allow) continue;
    for (const entry of entriesOf(server, ["prompt"])) {
      if (taken.prompts.has(entry.key)) continue;
      taken.prompts.add(entry.key);
      view.prompts.push({ name: entry.key, ref: { server: server.path, prompt: entry.key }, server, entry });
    }
  }
  return view;
}

/**
 * The server taken whole that answers `name` (a tool or prompt name, a
 * resource URI) the view does not list: the first whose approved catalog
 * holds it, else the only wildcard item of that kind; null otherwise. Not a
 * grant: the caller's access is decided for (server, name) as on
 * `/{path}/mcp`, and tool pinning refuses a tool it has not approved.
 */
export function wildcardTarget(
  view: VirtualView,
  kind: keyof VirtualView["wildcards"],
  name: string,
): ServerRecord | null {
  const { sources, sole } = view.wildcards[kind];
  const holder = sources.find((source) => source.keys.has(name));
  if (holder) return holder.server;
  return sole && sources.length === 1 && sources[0] ? sources[0].server : null;
}

/**
 * The server and URI behind a resource URI: the listed resource with this
 * URI, else the first listed template that matches it, else a server whose
 * resources are taken whole (the view has only those the caller may read).
 */
export function resourceFor(view: VirtualView, uri: string): { server: ServerRecord } | null {
  const exact = view.resources.find((item) => item.name === uri);
  if (exact) return exact;
  const template = view.resourceTemplates.find((item) => {
    try {
      return new UriTemplate(item.name).match(uri) !== null;
    } catch {
      return false;
    }
  });
  if (template) return template;
  const server = wildcardTarget(view, "resources", uri);
  return server ? { server } : null;
}

/** The server path and item behind an exposed tool or prompt name; `server` resolves the record. */
export interface ExposedTarget {
  path: string;
  item: string;
  server: () => Promise<ServerRecord | null>;
}

/**
 * Where a call of exposed `name` goes: an explicit item (its server resolved
 * from the view, which lists it only when allowed and approved, so the
 * policy can be decided before the catalogs are read), else a server taken
 * whole (`wildcardTarget`).
 */
export async function exposedTarget<Ref extends { server: string }>(
  refs: Ref[],
  itemOf: (ref: Ref) => string,
  exposedOf: (ref: Ref) => string,
  sources: { view: () => Promise<VirtualView>; exposed: (path: string) => Promise<ServerRecord | null> },
  kind: "tools" | "prompts",
  name: string,
): Promise<ExposedTarget | null> {
  const listed = async () =>
    // `kind` names the list of `Ref`s (tools: VirtualToolRef, prompts: VirtualPromptRef).
    ((await sources.view())[kind] as unknown as VirtualItem<Ref>[]).find(
      (candidate) => candidate.name === name,
    );
  const ref = refs.find((candidate) => !isWholeServer(itemOf(candidate)) && exposedOf(candidate) === name);
  if (ref) {
    return { path: ref.server, item: itemOf(ref), server: async () => (await listed())?.server ?? null };
  }
  const whole = refs.filter((candidate) => isWholeServer(itemOf(candidate)));
  // One server taken whole: every other name is its own; no catalog needs reading to route it.
  if (whole.length === 1 && whole[0]) {
    const path = whole[0].server;
    return { path, item: name, server: () => sources.exposed(path) };
  }
  if (whole.length === 0) return null;
  const found = await listed();
  const server = found?.server ?? wildcardTarget(await sources.view(), kind, name);
  if (!server) return null;
  return { path: server.path, item: found ? itemOf(found.ref) : name, server: async () => server };
}
