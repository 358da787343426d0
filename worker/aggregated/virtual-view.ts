// What one caller sees through a virtual server: of the items the virtual
// server names, those whose server is usable (enabled, same tenant, catalog
// readable) and that the caller's own grants allow (a tool when tools/call of
// it is allowed, resources when resources/read is, prompts when prompts/get
// is). Built from the stored catalogs of the named servers only, so a
// virtual server over 3 servers never reads the other 997. A virtual server
// never widens access: this is the same decision the server's own endpoint makes
// (visibility via `access.sees`, grants via `access.decide`, and tool pinning:
// only approved tools are in the catalog it reads).
import { UriTemplate } from "@modelcontextprotocol/server";
import type { Principal } from "../auth/principal.ts";
import type { McpAccess } from "../edge/access.ts";
import type { ServerDirectory } from "../registry/server-directory.ts";
import type { CatalogEntry, RegistryStore, ServerRecord } from "../store/registry-store.ts";
import type { VirtualPromptRef, VirtualServerRecord, VirtualToolRef } from "../store/virtual-server-store.ts";
import { exposedPromptName, exposedToolName } from "../virtual/virtual-server-service.ts";
import { findExposedServer } from "./gateway-view.ts";

export interface VirtualItem<Ref> {
  /** The exposed name (tools, prompts) or URI (resources, templates). */
  name: string;
  ref: Ref;
  server: ServerRecord;
  entry: CatalogEntry;
}

export interface VirtualView {
  tools: VirtualItem<VirtualToolRef>[];
  resources: VirtualItem<{ server: string; uri: string }>[];
  resourceTemplates: VirtualItem<{ server: string; uri: string }>[];
  prompts: VirtualItem<VirtualPromptRef>[];
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

  const view: VirtualView = { tools: [], resources: [], resourceTemplates: [], prompts: [] };
  for (const ref of record.tools) {
    const found = lookup(ref.server, ["tool"], ref.tool);
    if (found && access.decide(ref.server, "tools/call", ref.tool).allow) {
      view.tools.push({ name: exposedToolName(ref), ref, ...found });
    }
  }
  for (const ref of record.resources) {
    const found = lookup(ref.server, ["resource", "resource_template"], ref.uri);
    if (!found || !access.decide(ref.server, "resources/read").allow) continue;
    const list = found.entry.kind === "resource" ? view.resources : view.resourceTemplates;
    list.push({ name: ref.uri, ref, ...found });
  }
  for (const ref of record.prompts) {
    const found = lookup(ref.server, ["prompt"], ref.prompt);
    if (found && access.decide(ref.server, "prompts/get").allow) {
      view.prompts.push({ name: exposedPromptName(ref), ref, ...found });
    }
  }
  return view;
}

/** The listed resource with this URI, else the first listed template that matches it. */
export function resourceFor(
  view: VirtualView,
  uri: string,
): VirtualItem<{ server: string; uri: string }> | null {
  const exact = view.resources.find((item) => item.name === uri);
  if (exact) return exact;
  return (
    view.resourceTemplates.find((item) => {
      try {
        return new UriTemplate(item.name).match(uri) !== null;
      } catch {
        return false;
      }
    }) ?? null
  );
}
