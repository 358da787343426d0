// One server as a card: identity, live health, tool count, and the actions
// the user may take on it (enable switch, refresh, edit, delete, connect).
import { useId, useState } from "react";
import type { HealthSummary, Server } from "../api.ts";
import { CodeBlock } from "../components/code-block.tsx";
import { HealthBadge, HealthDetails } from "../components/health-badge.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { StarRating } from "../components/star-rating.tsx";
import { Switch } from "../components/switch.tsx";
import { can } from "../permissions.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useAction } from "../use-action.ts";

interface ServerCardProps {
  server: Server;
  health: HealthSummary;
  onChanged(server: Server): void;
  onDeleted(id: string): void;
}

export function ServerCard({ server, health, onChanged, onDeleted }: ServerCardProps) {
  const { api, who } = useSession();
  const titleId = useId();
  const { busy, error, run } = useAction<"toggle" | "refresh" | "delete" | "export">();
  const [serverJson, setServerJson] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  const toggle = (enabled: boolean) =>
    run("toggle", async () => onChanged(await api.setEnabled(server.id, enabled)));
  const refresh = () => run("refresh", async () => onChanged(await api.refreshServer(server.id)));
  const remove = () =>
    run("delete", async () => {
      await api.deleteServer(server.id);
      onDeleted(server.id);
    });

  const exportJson = () =>
    serverJson !== null
      ? setServerJson(null)
      : run("export", async () =>
          setServerJson(JSON.stringify(await api.exportServerJson(server.id), null, 2)),
        );

  const toolCount = server.catalog.counts.tools;
  const { provenance } = server;
  return (
    <article className="card server-card" aria-labelledby={titleId} data-enabled={server.enabled}>
      <header className="server-card-head">
        <div>
          <h3 id={titleId}>{server.name}</h3>
          <code className="server-path">/{server.path}/mcp</code>
        </div>
        <HealthBadge health={health} />
      </header>
      {provenance || server.lifecycle === "deleted" ? (
        <ul className="tags" aria-label="Origin">
          {provenance ? (
            <li
              className="tag provenance"
              title={`${provenance.upstreamName} ${provenance.upstreamVersion} from ${provenance.sourceUrl}, last synced ${provenance.lastSyncedAt}`}
            >
              Imported from {provenance.sourceName}: {provenance.upstreamName}@{provenance.upstreamVersion}
            </li>
          ) : null}
          {server.lifecycle === "deleted" ? <li className="tag deleted">Deleted upstream</li> : null}
        </ul>
      ) : null}
      {server.description ? <p className="server-description">{server.description}</p> : null}
      {server.tags.length > 0 ? (
        <ul className="tags" aria-label="Tags">
          {server.tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
            </li>
          ))}
        </ul>
      ) : null}
      <dl className="server-facts">
        <div>
          <dt>Tools</dt>
          <dd>
            <Link
              to={`/servers/${encodeURIComponent(server.id)}/tools`}
              aria-label={`${toolCount} tools of ${server.name}`}
            >
              {toolCount} {toolCount === 1 ? "tool" : "tools"}
            </Link>
          </dd>
        </div>
        <div>
          <dt>Health</dt>
          <dd>
            <HealthDetails health={health} />
          </dd>
        </div>
        {server.catalog.status !== "ok" ? (
          <div className="server-catalog-problem">
            <dt>Catalog</dt>
            <dd>
              {server.catalog.status}
              {server.catalog.error ? `: ${server.catalog.error}` : ""}
            </dd>
          </div>
        ) : null}
        {health.error ? (
          <div className="server-catalog-problem">
            <dt>Last error</dt>
            <dd>{health.error}</dd>
          </div>
        ) : null}
      </dl>
      <StarRating
        kind="servers"
        id={server.id}
        name={server.name}
        summary={server.rating}
        onRated={(rating) => onChanged({ ...server, rating })}
      />
      <ProblemAlert error={error} />
      <footer className="server-card-actions">
        {can(who, "toggle_service", server.path) ? (
          <span className="switch-label">
            <Switch
              checked={server.enabled}
              label={`Enabled: ${server.name}`}
              disabled={busy !== null}
              onChange={toggle}
            />
            <span aria-hidden="true">{server.enabled ? "Enabled" : "Disabled"}</span>
          </span>
        ) : (
          <span className="muted">{server.enabled ? "Enabled" : "Disabled"}</span>
        )}
        <span className="spacer" />
        {can(who, "health_check_service", server.path) ? (
          <button type="button" className="button small" onClick={refresh} disabled={busy !== null}>
            {busy === "refresh" ? "Refreshing…" : "Refresh"}
          </button>
        ) : null}
        <Link className="button small" to={`/connect?server=${encodeURIComponent(server.path)}`}>
          Connect
        </Link>
        <button type="button" className="button small" onClick={exportJson} disabled={busy !== null}>
          {serverJson !== null ? "Hide server.json" : "server.json"}
        </button>
        {can(who, "modify_service", server.path) && !provenance ? (
          <Link className="button small" to={`/servers/${encodeURIComponent(server.id)}/edit`}>
            Edit
          </Link>
        ) : null}
        {can(who, "delete_service", server.path) && !confirming ? (
          <button type="button" className="button small danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        ) : null}
      </footer>
      {serverJson !== null ? <CodeBlock text={serverJson} label={`server.json of ${server.name}`} /> : null}
      {confirming ? (
        <fieldset className="confirm">
          <legend className="visually-hidden">Confirm deleting {server.name}</legend>
          <span>
            Delete <strong>{server.name}</strong> and its catalog?
          </span>
          <button type="button" className="button small danger" onClick={remove} disabled={busy !== null}>
            {busy === "delete" ? "Deleting…" : "Yes, delete"}
          </button>
          <button type="button" className="button small" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </fieldset>
      ) : null}
    </article>
  );
}
