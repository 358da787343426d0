// The audit log (GET /api/v1/audit, view_audit): filters (time range,
// category, subject, server, tool, action, decision, outcome) kept in the
// URL, pages by cursor, each event's detail (an admin change's before/after
// fields) on demand, and NDJSON/CSV exports of the same filters.
import { useState } from "react";
import type { AuditEvent } from "../api.ts";
import {
  FilterForm,
  FilterInput,
  FilterSelect,
  PagedTable,
  pickFilters,
} from "../components/filtered-list.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { dateTime } from "../format.ts";
import { useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useCursorPages } from "../use-cursor-pages.ts";

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

const COLUMNS = [
  "Time",
  "Category",
  "Subject",
  "Action",
  "Server",
  "Tool",
  "Decision",
  "Outcome",
  { hidden: "Detail" },
] as const;

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
          <td colSpan={COLUMNS.length}>
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
  const { query } = useLocation();
  const filters = pickFilters(query, NAMES);
  const key = filters.toString();
  const request = new URLSearchParams(filters);
  request.set("limit", "50");
  const pages = useCursorPages<AuditEvent>("/audit", request.toString());

  return (
    <section className="stack" aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <p className="muted">
        Admin changes (with what changed), refused sign-ins and MCP requests. Tool arguments appear only for
        servers whose audit setting keeps them.
      </p>
      <FilterForm
        label="Audit filters"
        route="/audit"
        names={NAMES}
        query={key}
        actions={
          <>
            <ExportButton format="ndjson" query={filters} />
            <ExportButton format="csv" query={filters} />
          </>
        }
      >
        {SELECTS.map((select) => (
          <FilterSelect
            key={select.name}
            name={select.name}
            label={select.label}
            value={filters.get(select.name) ?? ""}
            options={select.options}
          />
        ))}
        {FILTERS.map((filter) => (
          <FilterInput
            key={filter.name}
            name={filter.name}
            label={filter.label}
            placeholder={filter.placeholder}
            value={filters.get(filter.name) ?? ""}
          />
        ))}
      </FilterForm>
      <PagedTable
        pages={pages}
        label="Audit events"
        empty="No events match."
        columns={COLUMNS}
        row={(event) => <EventRow key={event.id} event={event} />}
      />
    </section>
  );
}
