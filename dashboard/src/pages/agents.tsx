// The agents page: every A2A agent the user may see, as cards (skills, trust
// badge, visibility, enable switch, stars), sortable by rating; and a form to
// register one by pasting its Agent Card, with the gateway's field errors
// (JSON pointers such as /card/skills/0/id) listed beside the JSON.
import { type FormEvent, useCallback, useEffect, useId, useState } from "react";
import { type Agent, ApiError, type FieldError, type Visibility } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { SortSelect } from "../components/sort-select.tsx";
import { StarRating } from "../components/star-rating.tsx";
import { Switch } from "../components/switch.tsx";
import { can } from "../permissions.ts";
import { type SortOrder, sortItems } from "../rating-order.ts";
import { useSession } from "../session.tsx";

export function AgentsPage() {
  const { api, who } = useSession();
  const [agents, setAgents] = useState<Agent[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [order, setOrder] = useState<SortOrder>("name");
  const [registering, setRegistering] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    try {
      setAgents(await api.listAgents());
    } catch (caught) {
      setError(caught);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  const replace = (updated: Agent) =>
    setAgents((current) => current?.map((item) => (item.id === updated.id ? updated : item)) ?? null);
  const shown = sortItems(agents ?? [], order, (agent) => agent.card.name);

  return (
    <section aria-labelledby="agents-title" className="stack">
      <div className="page-head">
        <h1 id="agents-title">Agents</h1>
        <span className="spacer" />
        <SortSelect value={order} onChange={setOrder} />
        {can(who, "publish_agent") && !registering ? (
          <button type="button" className="button primary" onClick={() => setRegistering(true)}>
            Register agent
          </button>
        ) : null}
      </div>
      {registering ? (
        <RegisterAgentForm
          onCancel={() => setRegistering(false)}
          onRegistered={(agent) => {
            setRegistering(false);
            setAgents((current) => [...(current ?? []), agent]);
          }}
        />
      ) : null}
      <ProblemAlert error={error} />
      {agents === null && !error ? <p role="status">Loading agents…</p> : null}
      {agents !== null && agents.length === 0 ? <p className="empty">No agents you may see yet.</p> : null}
      <div className="server-grid">
        {shown.map((agent) => (
          <AgentCard key={agent.id} agent={agent} onChanged={replace} />
        ))}
      </div>
    </section>
  );
}

const TRUST_LABEL = { verified: "Verified", community: "Community", unverified: "Unverified" } as const;

function AgentCard({ agent, onChanged }: { agent: Agent; onChanged(agent: Agent): void }) {
  const { api, who } = useSession();
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function toggle(enabled: boolean) {
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.setAgentEnabled(agent.id, enabled));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const mayToggle = can(who, "modify_agent", agent.path) || agent.owner === who?.subject;
  return (
    <article className="card server-card agent-card" aria-labelledby={titleId} data-enabled={agent.enabled}>
      <header className="server-card-head">
        <div>
          <h3 id={titleId}>{agent.card.name}</h3>
          <code className="server-path">/agents/{agent.path}</code>
        </div>
        <span className="trust-badge" data-trust={agent.trustLevel}>
          {TRUST_LABEL[agent.trustLevel]}
        </span>
      </header>
      <p className="server-description">{agent.card.description}</p>
      <dl className="server-facts">
        <div>
          <dt>Visibility</dt>
          <dd className="visibility">
            {agent.visibility}
            {agent.visibility === "group" && agent.groups.length > 0 ? ` (${agent.groups.join(", ")})` : ""}
          </dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{agent.card.version}</dd>
        </div>
      </dl>
      <ul className="skills" aria-label={`Skills of ${agent.card.name}`}>
        {agent.card.skills.map((skill) => (
          <li key={skill.id} className="skill">
            <strong>{skill.name}</strong>
            <span className="muted"> {skill.description}</span>
          </li>
        ))}
      </ul>
      <StarRating
        kind="agents"
        id={agent.id}
        name={agent.card.name}
        summary={agent.rating}
        onRated={(rating) => onChanged({ ...agent, rating })}
      />
      <ProblemAlert error={error} />
      <footer className="server-card-actions">
        {mayToggle ? (
          <span className="switch-label">
            <Switch
              checked={agent.enabled}
              label={`Enabled: ${agent.card.name}`}
              disabled={busy}
              onChange={(next) => void toggle(next)}
            />
            <span aria-hidden="true">{agent.enabled ? "Enabled" : "Disabled"}</span>
          </span>
        ) : (
          <span className="muted">{agent.enabled ? "Enabled" : "Disabled"}</span>
        )}
      </footer>
    </article>
  );
}

function RegisterAgentForm({
  onCancel,
  onRegistered,
}: {
  onCancel(): void;
  onRegistered(agent: Agent): void;
}) {
  const { api } = useSession();
  const cardId = useId();
  const errorsId = useId();
  const [path, setPath] = useState("");
  const [cardText, setCardText] = useState("");
  const [visibility, setVisibility] = useState<Visibility>("public");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [syntax, setSyntax] = useState<string | null>(null);

  const fieldErrors: FieldError[] = error instanceof ApiError ? error.fieldErrors : [];
  const cardErrors = fieldErrors.filter((item) => item.field.startsWith("/card") || item.field === "card");
  const pathErrors = fieldErrors.filter((item) => item.field === "path");
  const others = fieldErrors.filter((item) => !cardErrors.includes(item) && !pathErrors.includes(item));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    let card: unknown;
    try {
      card = JSON.parse(cardText);
      setSyntax(null);
    } catch (caught) {
      setSyntax(`The card is not valid JSON: ${caught instanceof Error ? caught.message : String(caught)}`);
      return;
    }
    setBusy(true);
    try {
      onRegistered(await api.registerAgent({ path, card, visibility }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="card stack agent-form"
      onSubmit={(event) => void submit(event)}
      aria-label="Register agent"
    >
      <label className="field">
        <span>Path</span>
        <input
          value={path}
          onChange={(event) => setPath(event.target.value)}
          required
          aria-invalid={pathErrors.length > 0}
          placeholder="code-reviewer"
        />
        {pathErrors.map((item) => (
          <span key={item.message} className="field-error">
            {item.message}
          </span>
        ))}
      </label>
      <label className="field">
        <span>Visibility</span>
        <select value={visibility} onChange={(event) => setVisibility(event.target.value as Visibility)}>
          <option value="public">Public</option>
          <option value="private">Private</option>
          <option value="group">Group</option>
        </select>
      </label>
      <div className="card-editor">
        <label className="field" htmlFor={cardId}>
          <span>Agent Card (JSON)</span>
        </label>
        <div className="card-editor-body">
          <textarea
            id={cardId}
            value={cardText}
            onChange={(event) => setCardText(event.target.value)}
            rows={16}
            spellCheck={false}
            required
            aria-invalid={cardErrors.length > 0 || syntax !== null}
            aria-describedby={errorsId}
          />
          <div id={errorsId} className="card-errors" aria-live="polite">
            {syntax ? <p className="field-error">{syntax}</p> : null}
            {cardErrors.length > 0 ? (
              <ul aria-label="Problems in the card">
                {cardErrors.map((item) => (
                  <li key={`${item.field}:${item.message}`} className="field-error">
                    <code>{item.field.replace(/^\/card/, "") || "/"}</code> {item.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        </div>
      </div>
      <ProblemAlert error={error} unclaimed={others} />
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Registering…" : "Register"}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
