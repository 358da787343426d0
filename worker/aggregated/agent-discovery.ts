// discover_tools on /mcp also finds A2A agents: the caller's visible agents
// ranked against the query (search/agent-search.ts), reported with kind
// "agent" beside the tools, with the path of each agent's card.
import type { Principal } from "../auth/principal.ts";
import type { AgentService } from "../registry/agent-service.ts";
import { searchAgents } from "../search/agent-search.ts";

export interface DiscoveredAgent {
  kind: "agent";
  name: string;
  agent: string;
  description: string;
  /** Where the caller fetches the agent's card on this gateway. */
  cardPath: string;
  url: unknown;
  skills: { id: string; name: string; description: string }[];
  score: number;
}

export async function discoverAgents(
  agents: AgentService,
  principal: Principal,
  query: string,
  limit: number,
): Promise<DiscoveredAgent[]> {
  const visible = await agents.visibleAgents(principal);
  const byId = new Map(visible.map((agent) => [agent.id, agent]));
  return searchAgents(visible, query, ["agent"], limit).flatMap((hit) => {
    const agent = byId.get(hit.agentId);
    if (!agent) return [];
    return [
      {
        kind: "agent" as const,
        name: hit.name,
        agent: hit.agentPath,
        description: hit.description,
        cardPath: `/agents/${hit.agentPath}/.well-known/agent-card.json`,
        url: agent.card.url,
        skills: agent.card.skills.map((skill) => ({
          id: skill.id,
          name: skill.name,
          description: skill.description,
        })),
        score: hit.score,
      },
    ];
  });
}
