// Reading security findings with the caller's permissions: a server's
// findings need `list_service` on it (like reading the server); the tenant-wide
// list shows only servers the caller may list.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import type { AccessGuard } from "../registry/access-service.ts";
import type { ServerService } from "../registry/server-service.ts";
import {
  type FindingPage,
  type FindingQuery,
  type FindingStore,
  InvalidFindingCursorError,
} from "../store/finding-store.ts";
import type { RegistryStore } from "../store/registry-store.ts";

export class FindingService {
  constructor(
    private readonly options: {
      findings: FindingStore;
      servers: ServerService;
      store: RegistryStore;
      access: AccessGuard;
    },
  ) {}

  async forServer(
    principal: Principal,
    serverId: string,
    query: Omit<FindingQuery, "serverId">,
  ): Promise<FindingPage> {
    await this.options.servers.get(principal, serverId);
    return this.page(principal.tenant, { ...query, serverId });
  }

  async list(principal: Principal, query: FindingQuery): Promise<FindingPage> {
    if (query.serverId) return this.forServer(principal, query.serverId, query);
    const grant = await this.options.access.resources(principal, "list_service");
    if (grant.all) return this.page(principal.tenant, query);
    const servers = await Promise.all(grant.names.map((path) => this.options.store.getServerByPath(path)));
    const serverIds = servers
      .filter((server) => server !== null && server.tenant === principal.tenant)
      .map((server) => server?.id as string);
    return this.page(principal.tenant, { ...query, serverIds });
  }

  private async page(tenant: string, query: FindingQuery): Promise<FindingPage> {
    try {
      return await this.options.findings.list(tenant, query);
    } catch (error) {
      if (error instanceof InvalidFindingCursorError) {
        throw new GatewayError("validation", {
          status: 400,
          errors: [{ field: "query.cursor", message: "not a cursor from a previous page" }],
        });
      }
      throw error;
    }
  }
}
