// Registry rules for A2A agents: registration with card validation, reads
// scoped to the caller's tenant and hidden by visibility, partial updates,
// card replacement, enablement and deletion. Talks to storage only through
// AgentStore; knows nothing of HTTP.
import type { Principal } from "../auth/principal.ts";
import { GatewayError } from "../http/errors.ts";
import type { RegistryAction } from "../policy/access-policy.ts";
import {
  type AgentCard,
  type AgentRecord,
  type AgentStore,
  DuplicateAgentPathError,
} from "../store/agent-store.ts";
import { NO_RATINGS, type RatingSummary } from "../store/rating-store.ts";
import type { Page, Viewer } from "../store/registry-store.ts";
import type { AccessGuard } from "./access-service.ts";
import { checkAgentCard } from "./agent-card.ts";
import type { AgentCreate, AgentListFilters, AgentUpdate } from "./agent-input.ts";
import { definedFields, listingPage, notifyObservers } from "./listing.ts";
import type { RatingSummaries } from "./rating-service.ts";
import { canSee } from "./visibility.ts";

/** Told after every committed change to an agent (the search index follows). */
export interface AgentObserver {
  agentSaved(agent: AgentRecord): Promise<void>;
  agentDeleted(tenant: string, id: string): Promise<void>;
}

export interface AgentServiceOptions {
  store: AgentStore;
  access: AccessGuard;
  /** Whether a server holds the path: agents and servers share one URL namespace. */
  serverHoldsPath: (path: string) => Promise<boolean>;
  ratings?: RatingSummaries;
  observers?: AgentObserver[];
  now?: () => Date;
  newId?: () => string;
}

/** An agent as the API shows it: the record plus its rating. */
export type AgentView = AgentRecord & { rating: RatingSummary };

export class AgentService {
  private readonly now: () => Date;
  private readonly newId: () => string;

  constructor(private readonly options: AgentServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => crypto.randomUUID());
  }

  async register(principal: Principal, input: AgentCreate): Promise<AgentView> {
    await this.options.access.require(principal, {
      kind: "registry",
      action: "publish_agent",
      resource: input.path,
    });
    const card = validCard(input.card);
    await this.requireTrustSetter(principal, input.trustLevel);
    await this.requireFreePath(input.path);
    const timestamp = this.now().toISOString();
    const agent: AgentRecord = {
      id: this.newId(),
      tenant: principal.tenant,
      path: input.path,
      card,
      tags: input.tags,
      visibility: input.visibility,
      groups: input.groups,
      trustLevel: input.trustLevel,
      enabled: input.enabled,
      owner: principal.subject,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    try {
      await this.options.store.insertAgent(agent);
    } catch (error) {
      if (error instanceof DuplicateAgentPathError) throw pathTaken(error.path);
      throw error;
    }
    await this.notify((observer) => observer.agentSaved(agent));
    return this.view(agent);
  }

  async get(principal: Principal, id: string): Promise<AgentView> {
    return this.view(await this.require(principal, id, "get_agent"));
  }

  /** A visible agent of the caller's tenant by path, or null (the well-known card route). */
  async cardByPath(principal: Principal, path: string): Promise<AgentCard | null> {
    const agent = await this.options.store.getAgentByPath(path);
    if (!agent || agent.tenant !== principal.tenant || !agent.enabled) return null;
    if (!canSee(await this.options.access.viewer(principal), agent)) return null;
    const allowed = await this.options.access.allows(principal, {
      kind: "registry",
      action: "get_agent",
      resource: agent.path,
    });
    return allowed ? agent.card : null;
  }

  /** Only agents the caller may `list_agents` and see; filters and pages are applied in the store. */
  async list(principal: Principal, filters: AgentListFilters): Promise<Page<AgentView>> {
    const grant = await this.options.access.resources(principal, "list_agents");
    const viewer = await this.options.access.viewer(principal);
    const query = { ...filters, viewer, ...(grant.all ? {} : { paths: grant.names }) };
    const page = await listingPage(() => this.options.store.listAgents(principal.tenant, query));
    return { items: await this.views(principal.tenant, page.items), nextCursor: page.nextCursor };
  }

  /** Every visible agent the caller may list (for search); bounded by `limit`. */
  async visibleAgents(principal: Principal, limit = 500): Promise<AgentView[]> {
    const page = await this.list(principal, { limit: Math.min(limit, 100), enabled: true });
    const items = [...page.items];
    let cursor = page.nextCursor;
    while (cursor && items.length < limit) {
      const next = await this.list(principal, { limit: 100, enabled: true, cursor });
      items.push(...next.items);
      cursor = next.nextCursor;
    }
    return items.slice(0, limit);
  }

  async update(principal: Principal, id: string, patch: AgentUpdate): Promise<AgentView> {
    const current = await this.requireChange(principal, id, "modify_agent");
    if (patch.path !== undefined && patch.path !== current.path) {
      await this.options.access.require(principal, {
        kind: "registry",
        action: (await this.ownerMay(principal, current)) ? "publish_agent" : "modify_agent",
        resource: patch.path,
      });
      await this.requireFreePath(patch.path);
    }
    if (patch.trustLevel !== undefined && patch.trustLevel !== current.trustLevel) {
      await this.requireTrustSetter(principal, patch.trustLevel);
    }
    const next: AgentRecord = { ...current, ...definedFields(patch), updatedAt: this.now().toISOString() };
    await this.save(next);
    return this.view(next);
  }

  /** PUT: the card is replaced whole and validated again. */
  async replaceCard(principal: Principal, id: string, card: unknown): Promise<AgentView> {
    const current = await this.requireChange(principal, id, "modify_agent");
    const next: AgentRecord = { ...current, card: validCard(card), updatedAt: this.now().toISOString() };
    await this.save(next);
    return this.view(next);
  }

  async setEnabled(principal: Principal, id: string, enabled: boolean): Promise<AgentView> {
    const current = await this.requireChange(principal, id, "modify_agent");
    if (current.enabled === enabled) return this.view(current);
    const next = { ...current, enabled, updatedAt: this.now().toISOString() };
    await this.save(next);
    return this.view(next);
  }

  async delete(principal: Principal, id: string): Promise<void> {
    await this.requireChange(principal, id, "delete_agent");
    if (!(await this.options.store.deleteAgent(principal.tenant, id))) throw agentNotFound(id);
    await this.notify((observer) => observer.agentDeleted(principal.tenant, id));
  }

  /** The agent if it exists in the caller's tenant and is visible to them (404 otherwise). */
  async visible(principal: Principal, id: string): Promise<AgentRecord> {
    const agent = await this.options.store.getAgent(principal.tenant, id);
    if (!agent || !canSee(await this.options.access.viewer(principal), agent)) throw agentNotFound(id);
    return agent;
  }

  async summariesFor(tenant: string, agents: AgentRecord[]): Promise<AgentView[]> {
    return this.views(tenant, agents);
  }

  private async require(principal: Principal, id: string, action: RegistryAction): Promise<AgentRecord> {
    const agent = await this.visible(principal, id);
    await this.options.access.require(principal, { kind: "registry", action, resource: agent.path });
    return agent;
  }

  /** `action` on the agent's path, or, for its owner, `publish_agent` there. */
  private async requireChange(
    principal: Principal,
    id: string,
    action: RegistryAction,
  ): Promise<AgentRecord> {
    const agent = await this.visible(principal, id);
    if (await this.ownerMay(principal, agent)) return agent;
    await this.options.access.require(principal, { kind: "registry", action, resource: agent.path });
    return agent;
  }

  private async ownerMay(principal: Principal, agent: AgentRecord): Promise<boolean> {
    if (agent.owner !== principal.subject) return false;
    return this.options.access.allows(principal, {
      kind: "registry",
      action: "publish_agent",
      resource: agent.path,
    });
  }

  private async requireTrustSetter(
    principal: Principal,
    trustLevel: AgentRecord["trustLevel"],
  ): Promise<void> {
    if (trustLevel !== "verified") return;
    const viewer: Viewer = await this.options.access.viewer(principal);
    if (viewer.seesEverything) return;
    throw new GatewayError("forbidden", {
      detail: "Only administrators may mark an agent verified",
      reason: "action_not_granted",
      errors: [{ field: "trustLevel", message: "only administrators may set verified" }],
    });
  }

  private async requireFreePath(path: string): Promise<void> {
    if ((await this.options.store.getAgentByPath(path)) || (await this.options.serverHoldsPath(path))) {
      throw pathTaken(path);
    }
  }

  private async save(agent: AgentRecord): Promise<void> {
    try {
      if (!(await this.options.store.updateAgent(agent))) throw agentNotFound(agent.id);
    } catch (error) {
      if (error instanceof DuplicateAgentPathError) throw pathTaken(error.path);
      throw error;
    }
    await this.notify((observer) => observer.agentSaved(agent));
  }

  private async notify(call: (observer: AgentObserver) => Promise<void>): Promise<void> {
    await notifyObservers(this.options.observers ?? [], call, "agent_observer_failed");
  }

  private async view(agent: AgentRecord): Promise<AgentView> {
    const [view] = await this.views(agent.tenant, [agent]);
    return view ?? { ...agent, rating: NO_RATINGS };
  }

  private async views(tenant: string, agents: AgentRecord[]): Promise<AgentView[]> {
    const summaries = this.options.ratings
      ? await this.options.ratings.summaries(
          tenant,
          "agent",
          agents.map((agent) => agent.id),
        )
      : new Map<string, RatingSummary>();
    return agents.map((agent) => ({ ...agent, rating: summaries.get(agent.id) ?? NO_RATINGS }));
  }
}

function validCard(value: unknown): AgentCard {
  const checked = checkAgentCard(value, "/card");
  if (checked.ok) return checked.card;
  throw new GatewayError("validation", {
    detail: "The agent card does not match the A2A Agent Card schema (v0.3)",
    errors: checked.errors,
  });
}

function agentNotFound(id: string): GatewayError {
  return new GatewayError("not-found", { detail: `No agent with id "${id}"` });
}

function pathTaken(path: string): GatewayError {
  return new GatewayError("conflict", {
    detail: `The path "${path}" is taken by a server or an agent`,
    errors: [{ field: "path", message: "already taken" }],
  });
}
