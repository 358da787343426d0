// Federation: registries this gateway imports servers from. Add a source,
// sync it now, see the last result (counts) and what happened to each entry
// (why one was skipped). Needs manage_federation.
import { useCallback, useEffect, useState } from "react";
import type { FederationSource } from "../api.ts";
import { TextField } from "../components/field.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { dateTime } from "../format.ts";
import { useSession } from "../session.tsx";
import { useAction } from "../use-action.ts";
import { useFormSubmit } from "../use-form-submit.ts";

function AddSourceForm({ onAdded }: { onAdded(source: FederationSource): void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [interval, setInterval] = useState("");
  const { busy, error, errors, submit } = useFormSubmit(async () => {
    const minutes = interval.trim() === "" ? null : Number(interval);
    onAdded(
      await api.addSource({
        name,
        url,
        syncIntervalMinutes: minutes,
        auth: secret.trim() === "" ? null : { secret: secret.trim() },
      }),
    );
    setName("");
    setUrl("");
    setSecret("");
    setInterval("");
  });

  const nameError = errors.for("name");
  const urlError = errors.for("url");
  const secretError = errors.for("auth");
  const intervalError = errors.for("syncIntervalMinutes");
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="add-source-title" noValidate>
      <h2 id="add-source-title">Add a source</h2>
      <ProblemAlert error={error} unclaimed={errors.unclaimed()} />
      <TextField
        label="Name"
        value={name}
        error={nameError}
        onChange={(event) => setName(event.target.value)}
      />
      <TextField
        label="Registry URL"
        hint="Base of a registry speaking the MCP Registry API (…/v0.1/servers), e.g. another gateway"
        value={url}
        error={urlError}
        onChange={(event) => setUrl(event.target.value)}
      />
      <TextField
        label="Token secret (optional)"
        hint="Name of the Worker secret holding a bearer token for the source"
        value={secret}
        error={secretError}
        onChange={(event) => setSecret(event.target.value)}
      />
      <TextField
        label="Sync every (minutes, optional)"
        inputMode="numeric"
        value={interval}
        error={intervalError}
        onChange={(event) => setInterval(event.target.value)}
      />
      <div>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Adding…" : "Add source"}
        </button>
      </div>
    </form>
  );
}

function SourceCard({
  source,
  onChanged,
  onDeleted,
}: {
  source: FederationSource;
  onChanged(source: FederationSource): void;
  onDeleted(id: string): void;
}) {
  const { api } = useSession();
  const { busy, error, run } = useAction<"sync" | "delete">();
  const report = source.lastSync;

  return (
    <article className="card stack" aria-label={`Source ${source.name}`}>
      <header className="server-card-head">
        <div>
          <h3>{source.name}</h3>
          <code className="server-path">{source.url}</code>
        </div>
        <span className="tag">
          {source.syncIntervalMinutes ? `every ${source.syncIntervalMinutes} min` : "manual sync"}
        </span>
      </header>
      {report ? (
        <div className="stack">
          <p role="status" aria-label={`Last sync of ${source.name}`}>
            Last sync {dateTime(report.finishedAt)} ({report.trigger}): <strong>{report.status}</strong>
            {report.error ? ` — ${report.error}` : ""}. Seen {report.counts.seen}, imported{" "}
            {report.counts.imported}, updated {report.counts.updated}, unchanged {report.counts.unchanged},
            deleted {report.counts.deleted}, skipped {report.counts.skipped}.
          </p>
          {report.entries.length > 0 ? (
            <table aria-label={`Entries of ${source.name}`}>
              <thead>
                <tr>
                  <th scope="col">Server</th>
                  <th scope="col">Version</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {report.entries.map((entry) => (
                  <tr key={`${entry.name}:${entry.outcome}`}>
                    <td>
                      <code>{entry.name || "(no name)"}</code>
                    </td>
                    <td>{entry.version ?? ""}</td>
                    <td>{entry.outcome}</td>
                    <td>{entry.reason ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : (
        <p className="muted">Not synchronised yet.</p>
      )}
      <ProblemAlert error={error} />
      <footer className="server-card-actions">
        <span className="spacer" />
        <button
          type="button"
          className="button small primary"
          disabled={busy !== null}
          onClick={() => run("sync", async () => onChanged(await api.syncSource(source.id)))}
        >
          {busy === "sync" ? "Syncing…" : "Sync now"}
        </button>
        <button
          type="button"
          className="button small danger"
          disabled={busy !== null}
          onClick={() =>
            run("delete", async () => {
              await api.deleteSource(source.id);
              onDeleted(source.id);
            })
          }
        >
          Remove
        </button>
      </footer>
    </article>
  );
}

export function FederationPage() {
  const { api } = useSession();
  const [sources, setSources] = useState<FederationSource[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api.listSources().then(setSources, setError);
  }, [api]);
  useEffect(load, [load]);

  const replace = (next: FederationSource) =>
    setSources((current) => (current ?? []).map((source) => (source.id === next.id ? next : source)));
  return (
    <section className="stack" aria-labelledby="federation-title">
      <h1 id="federation-title">Federation</h1>
      <p className="muted">
        Servers imported from these registries carry their provenance and follow their source: they are
        read-only here except enablement, tags, visibility and access settings.
      </p>
      <AddSourceForm onAdded={(source) => setSources((current) => [...(current ?? []), source])} />
      <h2>Sources</h2>
      <ProblemAlert error={error} />
      {sources === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : sources.length === 0 ? (
        <p className="muted">No sources yet.</p>
      ) : (
        sources.map((source) => (
          <SourceCard
            key={source.id}
            source={source}
            onChanged={replace}
            onDeleted={(id) => setSources((current) => (current ?? []).filter((item) => item.id !== id))}
          />
        ))
      )}
    </section>
  );
}
