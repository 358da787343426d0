// The MCP Registry API's reads (/v0.1/servers and its versions), and the
// server.json export of one server. Rows come from the store's version
// history; what a caller may see is decided by `registryVisibility` alone.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import { fieldErrors } from "../http/validation.ts";
import type { AccessGuard } from "../registry/access-service.ts";
import { definedFields } from "../registry/listing.ts";
import { pathSlugFor, registryNameOf } from "../registry/registry-names.ts";
import { ServerCreateInput } from "../registry/server-input.ts";
import type { ServerService, ServerView } from "../registry/server-service.ts";
import {
  InvalidCursorError,
  type Page,
  type RegistryStore,
  type ServerRecord,
  type ServerVersion,
} from "../store/registry-store.ts";
import {
  importServerJson,
  OFFICIAL_META,
  PROVENANCE_META,
  type RenderContext,
  renderServerJson,
  type ServerJson,
} from "./server-json.ts";
import { isVisible, registryVisibility } from "./visibility.ts";

export interface ServerResponse {
  server: ServerJson;
  _meta: Record<string, unknown>;
}

export interface ServerList {
  servers: ServerResponse[];
  metadata: { count: number; nextCursor?: string };
}

/** What this gateway says about a server's origin in `_meta` (read back by federation). */
export interface ProvenanceMeta {
  /** The registry namespace where the server is registered locally. */
  origin: string;
  /** false: imported from another registry. */
  local: boolean;
  sourceUrl?: string;
  upstreamName?: string;
  upstreamVersion?: string;
  lastSyncedAt?: string;
}

export interface RegistryListQuery {
  cursor?: string;
  limit: number;
  search?: string;
  updatedSince?: string;
  version?: string;
  includeDeleted: boolean;
}

export interface RegistryApiServiceOptions {
  store: RegistryStore;
  access: AccessGuard;
  /** Registrations (server.json import) go through the one registration path. */
  servers: ServerService;
  namespace: string;
}

/** Local choices a server.json cannot carry. */
export interface ImportOptions {
  /** Default: a slug of the name part of `namespace/name`. */
  path?: string;
  enabled?: boolean;
}

// Registration fields as server.json calls them, for errors of the mapped input.
const SERVER_JSON_FIELD: Record<string, string> = {
  name: "title",
  path: "query.path",
  endpoints: "remotes",
  registryName: "name",
  description: "description",
  version: "version",
};

export class RegistryApiService {
  constructor(private readonly options: RegistryApiServiceOptions) {}

  /** `caller` null: anonymous (the route allows it only when REGISTRY_API_PUBLIC is on). */
  async list(caller: Principal | null, tenant: string, query: RegistryListQuery, baseUrl: string) {
    const filter = await registryVisibility(caller, this.options.access);
    let page: Page<ServerVersion>;
    try {
      page = await this.options.store.listVersions(tenant, {
        ...filter,
        namespace: this.options.namespace,
        ...definedFields({
          cursor: query.cursor,
          search: query.search,
          updatedSince: query.updatedSince,
          version: query.version,
        }),
        // The API: deleted servers are always included when asking for changes since a time.
        includeDeleted: query.includeDeleted || query.updatedSince !== undefined,
        limit: query.limit,
      });
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new GatewayError("validation", {
          status: 400,
          errors: [{ field: "query.cursor", message: "not a cursor from a previous page" }],
        });
      }
      throw error;
    }
    return this.listOf(page.items, baseUrl, page.nextCursor);
  }

  /** Every version of one server, newest publication first. */
  async versions(
    caller: Principal | null,
    tenant: string,
    name: string,
    includeDeleted: boolean,
    baseUrl: string,
  ): Promise<ServerList> {
    const server = await this.findServer(caller, tenant, name, includeDeleted);
    const versions = await this.options.store.versionsOf(tenant, server.id);
    return this.listOf(versions, baseUrl, null);
  }

  /** One version; `latest` is the server's current one. */
  async version(
    caller: Principal | null,
    tenant: string,
    name: string,
    version: string,
    includeDeleted: boolean,
    baseUrl: string,
  ): Promise<ServerResponse> {
    const server = await this.findServer(caller, tenant, name, includeDeleted);
    const versions = await this.options.store.versionsOf(tenant, server.id);
    const found = versions.find((candidate) =>
      version === "latest" ? candidate.isLatest : candidate.version === version,
    );
    if (!found) throw new GatewayError("not-found", { detail: "Server version not found" });
    return this.responseOf(found, this.context(baseUrl));
  }

  /** server.json of a server's current version (GET /api/v1/servers/{id}/server.json; `list_service`). */
  async exportServerJson(principal: Principal, id: string, baseUrl: string): Promise<ServerJson> {
    const server = await this.options.store.getServer(principal.tenant, id);
    if (!server) throw new GatewayError("not-found", { detail: `No server with id "${id}"` });
    await this.options.access.require(principal, {
      kind: "registry",
      action: "list_service",
      resource: server.path,
    });
    const versions = await this.options.store.versionsOf(principal.tenant, id);
    const latest = versions.find((candidate) => candidate.isLatest);
    if (!latest) throw new GatewayError("not-found", { detail: "The server has no published version yet" });
    return renderServerJson(server, latest.version, latest.snapshot, this.context(baseUrl));
  }

  /**
   * Registers the server a server.json describes (`register_service` on the
   * path): remote transports become endpoints, the name becomes the
   * registryName. 422 naming the field for a document that breaks the schema,
   * has no remote, or maps to an invalid registration.
   */
  async importServerJson(
    principal: Principal,
    document: unknown,
    options: ImportOptions,
  ): Promise<ServerView> {
    const imported = importServerJson(document);
    if (!imported.ok) {
      throw new GatewayError("validation", {
        detail: "The server.json cannot be imported",
        errors: imported.errors,
      });
    }
    const { server } = imported;
    const input = ServerCreateInput.safeParse({
      name: server.displayName.slice(0, 200),
      path: options.path ?? pathSlugFor(server.registryName),
      description: server.description,
      version: server.version.slice(0, 100),
      endpoints: server.endpoints,
      registryName: server.registryName,
      ...(options.enabled !== undefined ? { enabled: options.enabled } : {}),
    });
    if (!input.success) {
      throw new GatewayError("validation", {
        detail: "The server.json cannot be imported",
        errors: fieldErrors(input.error).map((error) => {
          const [head = "", ...rest] = error.field.split(".");
          return { ...error, field: [SERVER_JSON_FIELD[head] ?? head, ...rest].join(".") };
        }),
      });
    }
    return this.options.servers.register(principal, input.data, { registryDetails: server.registryDetails });
  }

  private async findServer(
    caller: Principal | null,
    tenant: string,
    name: string,
    includeDeleted: boolean,
  ): Promise<ServerRecord> {
    const filter = await registryVisibility(caller, this.options.access);
    const server = await this.options.store.getServerByRegistryName(tenant, name, this.options.namespace);
    // Invisible, disabled and (unless asked for) deleted servers are all "not found".
    const listed =
      server !== null &&
      isVisible(filter, server) &&
      (server.lifecycle === "deleted" ? includeDeleted : server.enabled);
    if (!listed) throw new GatewayError("not-found", { detail: "Server not found" });
    return server;
  }

  private listOf(items: ServerVersion[], baseUrl: string, nextCursor: string | null): ServerList {
    const context = this.context(baseUrl);
    return {
      servers: items.map((item) => this.responseOf(item, context)),
      metadata: { count: items.length, ...(nextCursor ? { nextCursor } : {}) },
    };
  }

  private context(baseUrl: string): RenderContext {
    return { namespace: this.options.namespace, baseUrl };
  }

  private responseOf(item: ServerVersion, context: RenderContext): ServerResponse {
    const { server } = item;
    const updatedAt = item.isLatest && server.updatedAt > item.updatedAt ? server.updatedAt : item.updatedAt;
    const provenance: ProvenanceMeta = server.provenance
      ? {
          origin: server.provenance.origin,
          local: false,
          sourceUrl: server.provenance.sourceUrl,
          upstreamName: server.provenance.upstreamName,
          upstreamVersion: server.provenance.upstreamVersion,
          lastSyncedAt: server.provenance.lastSyncedAt,
        }
      : { origin: this.options.namespace, local: true };
    return {
      server: renderServerJson(server, item.version, item.snapshot, context),
      _meta: {
        [OFFICIAL_META]: {
          status: server.lifecycle,
          publishedAt: item.publishedAt,
          updatedAt,
          isLatest: item.isLatest,
        },
        [PROVENANCE_META]: { name: registryNameOf(server, this.options.namespace), ...provenance },
      },
    };
  }
}
