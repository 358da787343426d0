// Security findings of the scanner (GET /api/v1/findings): what each rule
// flagged in which server's tool, resource or prompt, with the excerpt.
// Filters (severity at least, rule, server) are kept in the URL.
import { type FormEvent, useEffect, useState } from "react";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { dateTime } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";

/** One stored finding (components/schemas/StoredSecurityFinding). */
export interface StoredFinding {
  id: number;
  serverId: string;
  ruleId: string;
  severity: "info" | "low" | "medium" | "high" | "critical";
  category: string;
  kind: string;
  key: string;
  field: string;
  excerpt: string;
  message?: string;
  foundAt: string;
}

const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;

export function FindingsPage() {
  const { api } = useSession();
  const { query } = useLocation();
  const severity = query.get("severity") ?? "";
  const rule = query.get("rule") ?? "";
  const server = query.get("server") ?? "";
  const [findings, setFindings] = useState<StoredFinding[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [paths, setPaths] = useState<Map<string, string>>(new Map());

  const params = new URLSearchParams();
  if (severity) params.set("severity", severity);
  if (rule) params.set("rule", rule);
  if (server) params.set("server", server);
  const key = params.toString();

  useEffect(() => {
    api.listServers().then(
      (servers) => setPaths(new Map(servers.map((entry) => [entry.id, entry.path]))),
      () => {},
    );
  }, [api]);

  useEffect(() => {
    setFindings(null);
    setError(null);
    api.request<{ items: StoredFinding[]; nextCursor: string | null }>(`/findings?${key}`).then((page) => {
      setFindings(page.items);
      setCursor(page.nextCursor);
    }, setError);
  }, [api, key]);

  const more = async () => {
    if (!cursor) return;
    const next = new URLSearchParams(key);
    next.set("cursor", cursor);
    try {
      const page = await api.request<{ items: StoredFinding[]; nextCursor: string | null }>(
        `/findings?${next}`,
      );
      setFindings((current) => [...(current ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    }
  };

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const name of ["severity", "rule", "server"]) {
      const value = String(data.get(name) ?? "").trim();
      if (value) next.set(name, value);
    }
    navigate(`/findings${next.size > 0 ? `?${next}` : ""}`);
  };

  return (
    <section className="stack" aria-labelledby="findings-title">
      <h1 id="findings-title">Security findings</h1>
      <p className="muted">
        What the scanner flagged in the descriptions and schemas your servers publish: hidden instructions,
        exfiltration, credential harvesting, shadowing, hidden Unicode, encoded payloads.
      </p>
      <form className="card filters" onSubmit={apply} aria-label="Finding filters" key={key}>
        <label className="field">
          <span>Severity at least</span>
          <select name="severity" defaultValue={severity}>
            <option value="">Any</option>
            {SEVERITIES.map((level) => (
              <option key={level} value={level}>
                {level}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Rule</span>
          <input name="rule" defaultValue={rule} placeholder="rule id" />
        </label>
        <label className="field">
          <span>Server</span>
          <select name="server" defaultValue={server}>
            <option value="">Any</option>
            {[...paths].map(([id, path]) => (
              <option key={id} value={id}>
                {path}
              </option>
            ))}
          </select>
        </label>
        <div className="row">
          <button type="submit" className="button primary">
            Apply filters
          </button>
        </div>
      </form>
      <ProblemAlert error={error} />
      {findings === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : findings.length === 0 ? (
        <p className="muted">No findings match.</p>
      ) : (
        <table className="usage-table" aria-label="Findings">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Rule</th>
              <th scope="col">Server</th>
              <th scope="col">Entry</th>
              <th scope="col">Field</th>
              <th scope="col">Excerpt</th>
              <th scope="col">Found</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((finding) => (
              <tr key={finding.id}>
                <td>
                  <span className={`tag severity-${finding.severity}`}>{finding.severity}</span>
                </td>
                <td>
                  <code>{finding.ruleId}</code>
                </td>
                <td>{paths.get(finding.serverId) ?? finding.serverId}</td>
                <td>
                  {finding.kind} <code>{finding.key}</code>
                </td>
                <td>
                  <code>{finding.field}</code>
                </td>
                <td>{finding.excerpt}</td>
                <td>{dateTime(finding.foundAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor ? (
        <button type="button" className="button" onClick={more}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
