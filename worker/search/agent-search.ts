// Agents and their skills as search documents. An agent's card is small and a
// caller sees few agents, so documents are built from the visible agents at
// query time and ranked here (field-weighted term matches over Porter stems,
// the same analysis as the tool index): nothing to keep in step, and an
// agent the caller may not see can never appear. Pure.
import type { AgentRecord, AgentSkill } from "../store/agent-store.ts";
import type { RatingSummary } from "../store/rating-store.ts";
import { queryTerms, words } from "./analysis.ts";
import { porterStem } from "./porter.ts";

export type AgentHitKind = "agent" | "skill";

export interface AgentSearchHit {
  kind: AgentHitKind;
  /** `a_{agent id}` or `k_{agent id}_{skill id}`. */
  id: string;
  /** Agent name, or the skill's name. */
  name: string;
  title: string | null;
  description: string;
  agentId: string;
  agentPath: string;
  agentName: string;
  /** Skill id (skills only). */
  skillId: string | null;
  tags: string[];
  score: number;
  matchedFields: ("name" | "description" | "tags" | "details")[];
  rating: RatingSummary;
}

type Field = AgentSearchHit["matchedFields"][number];
const WEIGHTS: Record<Field, number> = { name: 3, tags: 2, description: 1, details: 0.5 };

interface Candidate {
  kind: AgentHitKind;
  agent: AgentRecord & { rating: RatingSummary };
  skill: AgentSkill | null;
  fields: Record<Field, string>;
}

/** Ranks the agents (and/or their skills) against `query`; best first, at most `limit`. */
export function searchAgents(
  agents: (AgentRecord & { rating: RatingSummary })[],
  query: string,
  kinds: AgentHitKind[],
  limit: number,
  tag?: string,
): AgentSearchHit[] {
  const terms = queryTerms(query).map(porterStem);
  if (terms.length === 0) return [];
  const candidates: Candidate[] = [];
  for (const agent of agents) {
    if (tag !== undefined && !agent.tags.includes(tag)) continue;
    const skills = Array.isArray(agent.card.skills) ? agent.card.skills : [];
    if (kinds.includes("agent")) {
      candidates.push({
        kind: "agent",
        agent,
        skill: null,
        fields: {
          name: `${agent.card.name} ${agent.path}`,
          description: agent.card.description,
          tags: [...agent.tags, ...skills.flatMap((skill) => skill.tags ?? [])].join(" "),
          details: skills.map((skill) => `${skill.name} ${skill.description}`).join(" "),
        },
      });
    }
    if (kinds.includes("skill")) {
      for (const skill of skills) {
        candidates.push({
          kind: "skill",
          agent,
          skill,
          fields: {
            name: `${skill.name} ${skill.id}`,
            description: skill.description ?? "",
            tags: (skill.tags ?? []).join(" "),
            details: `${agent.card.name} ${(skill.examples ?? []).join(" ")}`,
          },
        });
      }
    }
  }
  const hits: AgentSearchHit[] = [];
  for (const candidate of candidates) {
    const { score, matched } = scoreOf(candidate.fields, terms);
    if (score > 0) hits.push(toHit(candidate, score, matched));
  }
  return hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
}

function scoreOf(fields: Record<Field, string>, terms: string[]): { score: number; matched: Field[] } {
  let score = 0;
  const matched: Field[] = [];
  for (const field of Object.keys(WEIGHTS) as Field[]) {
    const stems = new Set(words(fields[field]).map(porterStem));
    const hits = terms.filter((term) => stems.has(term)).length;
    if (hits === 0) continue;
    matched.push(field);
    score += WEIGHTS[field] * hits;
  }
  // Share of the query covered: a document matching every term beats one matching a term often.
  const covered = terms.filter((term) =>
    (Object.keys(WEIGHTS) as Field[]).some((field) => words(fields[field]).map(porterStem).includes(term)),
  ).length;
  return { score: Math.round(score * (covered / terms.length) * 1000) / 1000, matched };
}

function toHit(candidate: Candidate, score: number, matched: Field[]): AgentSearchHit {
  const { agent, skill } = candidate;
  const base = {
    agentId: agent.id,
    agentPath: agent.path,
    agentName: agent.card.name,
    score,
    matchedFields: matched,
    rating: agent.rating,
  };
  if (!skill) {
    return {
      ...base,
      kind: "agent",
      id: `a_${agent.id}`,
      name: agent.card.name,
      title: null,
      description: agent.card.description,
      skillId: null,
      tags: agent.tags,
    };
  }
  return {
    ...base,
    kind: "skill",
    id: `k_${agent.id}_${skill.id}`,
    name: skill.name,
    title: null,
    description: skill.description ?? "",
    skillId: skill.id,
    tags: skill.tags ?? [],
  };
}
