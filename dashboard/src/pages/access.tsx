// Access: what the signed-in user holds (everyone), and for admins
// (manage_scopes) the scopes configuration as YAML, edited in place. The
// gateway validates it; its errors name the field and the line, and choosing
// one puts the cursor on that line.
import { type FormEvent, useEffect, useRef, useState } from "react";
import { ApiError, type FieldError } from "../api.ts";
import { can } from "../permissions.ts";
import { useSession } from "../session.tsx";

function YourAccess() {
  const { who } = useSession();
  if (!who) return null;
  const granted = Object.entries(who.permissions).filter(([, grant]) => grant.all || grant.names.length > 0);
  return (
    <section className="card stack" aria-labelledby="your-access-title">
      <h2 id="your-access-title">Your access</h2>
      <dl className="facts">
        <div>
          <dt>Identity</dt>
          <dd>
            {who.name ?? who.subject} <span className="muted">({who.credential ?? who.kind})</span>
          </dd>
        </div>
        <div>
          <dt>Groups</dt>
          <dd>{who.groups.length > 0 ? who.groups.join(", ") : "none"}</dd>
        </div>
        <div>
          <dt>Scopes</dt>
          <dd>{who.effectiveScopes.length > 0 ? who.effectiveScopes.join(", ") : "none"}</dd>
        </div>
      </dl>
      <h3 className="subtle-heading">Registry actions</h3>
      {granted.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <ul className="grants">
          {granted.map(([action, grant]) => (
            <li key={action}>
              <code>{action}</code> on {grant.all ? "every server" : grant.names.join(", ")}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Selects line `line` (1-based) of the textarea and scrolls it into view. */
function selectLine(textarea: HTMLTextAreaElement, line: number): void {
  const lines = textarea.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
  const end = start + (lines[line - 1]?.length ?? 0);
  textarea.focus();
  textarea.setSelectionRange(start, end);
  const lineHeight = Number.parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

function ScopesEditor() {
  const { api } = useSession();
  const [yaml, setYaml] = useState<string | null>(null);
  const [etag, setEtag] = useState<string | null>(null);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);

  async function load() {
    setError(null);
    try {
      const current = await api.exportScopes();
      setYaml(current.yaml);
      setEtag(current.etag);
      setDirty(false);
    } catch (caught) {
      setError(caught);
    }
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: load once per client
  useEffect(() => {
    void load();
  }, [api]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (yaml === null) return;
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const stored = await api.replaceScopes(yaml, etag);
      setSaved(`Saved as revision ${stored.revision}.`);
      await load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const fieldErrors: FieldError[] = error instanceof ApiError ? error.fieldErrors : [];
  const lineCount = (yaml ?? "").split("\n").length;
  return (
    <form className="card stack" onSubmit={save} aria-labelledby="scopes-title" noValidate>
      <div className="page-head">
        <h2 id="scopes-title">Scopes configuration</h2>
        {etag ? <span className="muted">revision {etag.replaceAll('"', "")}</span> : null}
      </div>
      <p className="muted">
        Groups map to scopes; scopes grant registry actions (<code>ui_scopes</code>), MCP servers, methods and
        tools (<code>server_scopes</code>); <code>tool_rules</code> deny or allow by tool name. Saving
        replaces the whole document; the gateway keeps the old one if this one is invalid.
      </p>
      {error ? (
        <div className="alert error" role="alert">
          <strong>{error instanceof ApiError ? error.problem.title : "Saving failed"}</strong>
          {error instanceof ApiError && error.problem.detail ? <p>{error.problem.detail}</p> : null}
          {fieldErrors.length > 0 ? (
            <ul className="yaml-errors">
              {fieldErrors.map((item) => (
                <li key={`${item.line}:${item.field}:${item.message}`}>
                  {item.line !== undefined ? (
                    <button
                      type="button"
                      className="link-button"
                      onClick={() => textarea.current && selectLine(textarea.current, item.line ?? 1)}
                    >
                      Line {item.line}
                    </button>
                  ) : null}{" "}
                  {item.field ? <code>{item.field}</code> : null} {item.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {saved ? (
        <p className="alert success" role="status">
          {saved}
        </p>
      ) : null}
      {yaml === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : (
        <div className="field">
          <label htmlFor="scopes-yaml">Scopes YAML ({lineCount} lines)</label>
          <textarea
            id="scopes-yaml"
            ref={textarea}
            className="code-editor"
            rows={24}
            spellCheck={false}
            value={yaml}
            aria-invalid={fieldErrors.length > 0 ? true : undefined}
            onChange={(event) => {
              setYaml(event.target.value);
              setDirty(true);
            }}
          />
        </div>
      )}
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={busy || !dirty}>
          {busy ? "Saving…" : "Save"}
        </button>
        <button type="button" className="button" disabled={busy} onClick={() => void load()}>
          Discard changes
        </button>
      </div>
    </form>
  );
}

export function AccessPage() {
  const { who } = useSession();
  return (
    <section className="stack" aria-labelledby="access-title">
      <h1 id="access-title">Access</h1>
      <YourAccess />
      {can(who, "manage_scopes") ? <ScopesEditor /> : null}
    </section>
  );
}
