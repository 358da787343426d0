// The audit log (GET /api/v1/audit, view_audit): filters (time range,
// category, subject, server, tool, action, decision, outcome) kept in the
// URL, pages by cursor, each event's detail (an admin change's before/after
// fields) on demand, and NDJSON/CSV exports of the same filters.
import { type FormEvent, useEffect, useState } from "react";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { dateTime } from "../format.ts";
import { navigate, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";

/** One event as GET /api/v1/audit returns it (components/schemas/AuditEvent). */
export interface AuditEvent {
  id: string;
  occurredAt: string;
  category: "mcp" | "admin" | "auth";
  subject: string | null;
  serverId: string | null;
  serverPath: string | null;
  method: string | null;
  tool: string | null;
  decision: "allow" | "deny";
  reason: string | null;
  outcome: string;
  durationMs: number | null;
  detail: Record<string, unknown> | null;
}

const FILTERS = [
  { name: "from", label: "From", placeholder: "2026-12-01T00:00:00Z" },
  { name: "to", label: "To", placeholder: "2026-12-06T00:00:00Z" },
  { name: "subject", label: "Subject", placeholder: "who acted" },
  { name: "server", label: "Server", placeholder: "id or path" },
  { name: "tool", label: "Tool", placeholder: "tool name" },
  { name: "method", label: "Action", placeholder: "servers.update, tools/call" },
  { name: "outcome", label: "Outcome", placeholder: "ok, denied, error" },
] as const;

const SELECTS = [
  { name: "category", label: "Category", options: ["mcp", "admin", "auth"] },
  { name: "decision", label: "Decision", options: ["allow", "deny"] },
] as const;

const NAMES = [...FILTERS.map((filter) => filter.name), ...SELECTS.map((select) => select.name)];

function filterQuery(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const name of NAMES) {
    const value = query.get(name);
    if (value) out.set(name, value);
  }
  return out;
}

function ExportButton({ format, query }: { format: "ndjson" | "csv"; query: URLSearchParams }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>(null);
  const exportNow = async () => {
    setError(null);
    try {
      const params = new URLSearchParams(query);
      params.set("format", format);
      const blob = await api.download(`/audit/export?${params}`);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `audit.${format}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={exportNow}>
        Export {format.toUpperCase()}
      </button>
      <ProblemAlert error={error} />
    </>
  );
}

function EventRow({ event }: { event: AuditEvent }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr>
        <td>{dateTime(event.occurredAt)}</td>
        <td>
          <span className="tag">{event.category}</span>
        </td>
        <td>{event.subject ?? "–"}</td>
        <td>
          <code>{event.method ?? "–"}</code>
        </td>
        <td>{event.serverPath ?? event.serverId ?? "–"}</td>
        <td>{event.tool ?? "–"}</td>
        <td>{event.decision}</td>
        <td>{event.outcome}</td>
        <td>
          {event.detail ? (
            <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? "Hide" : "Details"}
            </button>
          ) : null}
        </td>
      </tr>
      {open ? (
        <tr>
          <td colSpan={9}>
            <pre className="audit-detail" data-testid="audit-detail">
              {JSON.stringify(event.detail, null, 2)}
            </pre>
          </td>
        </tr>
      ) : null}
    </>
  );
}

export function AuditPage() {
  const { api } = useSession();
  const { query } = useLocation();
  const filters = filterQuery(query);
  const key = filters.toString();
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setEvents(null);
    setError(null);
    const params = new URLSearchParams(key);
    params.set("limit", "50");
    api.request<{ items: AuditEvent[]; nextCursor: string | null }>(`/audit?${params}`).then((page) => {
      setEvents(page.items);
      setCursor(page.nextCursor);
    }, setError);
  }, [api, key]);

  const more = async () => {
    if (!cursor) return;
    const params = new URLSearchParams(key);
    params.set("limit", "50");
    params.set("cursor", cursor);
    try {
      const page = await api.request<{ items: AuditEvent[]; nextCursor: string | null }>(`/audit?${params}`);
      setEvents((current) => [...(current ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    }
  };

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const name of NAMES) {
      const value = String(data.get(name) ?? "").trim();
      if (value) next.set(name, value);
    }
    navigate(`/audit${next.size > 0 ? `?${next}` : ""}`);
  };

  return (
    <section className="stack" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p className="muted">
        Admin changes (with what changed), refused sign-ins and MCP requests. Tool arguments appear only for
        servers whose audit setting keeps them.
      </p>
      <form className="card filters" onSubmit={apply} aria-label="Audit filters" key={key}>
        {SELECTS.map((select) => (
          <label key={select.name} className="field">
            <span>{select.label}</span>
            <select name={select.name} defaultValue={filters.get(select.name) ?? ""}>
              <option value="">Any</option>
              {select.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          </label>
        ))}
        {FILTERS.map((filter) => (
          <label key={filter.name} className="field">
            <span>{filter.label}</span>
            <input
              name={filter.name}
              placeholder={filter.placeholder}
              defaultValue={filters.get(filter.name) ?? ""}
            />
          </label>
        ))}
        <div className="row">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          <ExportButton format="ndjson" query={filters} />
          <ExportButton format="csv" query={filters} />
        </div>
      </form>
      <ProblemAlert error={error} />
      {events === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : events.length === 0 ? (
        <p className="muted">No events match.</p>
      ) : (
        <table className="usage-table" aria-label="Audit events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Category</th>
              <th scope="col">Subject</th>
              <th scope="col">Action</th>
              <th scope="col">Server</th>
              <th scope="col">Tool</th>
              <th scope="col">Decision</th>
              <th scope="col">Outcome</th>
              <th scope="col">
                <span className="visually-hidden">Detail</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <EventRow key={event.id} event={event} />
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
