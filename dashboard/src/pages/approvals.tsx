// Tool approvals (tool pinning): a tool whose definition changed, or a new
// one under manual approval, is held on every MCP endpoint until someone
// decides here. Each pending approval shows the approved definition and the
// new one side by side (description and input schema, changed lines marked)
// with Approve and Reject.
import { useCallback, useEffect, useState } from "react";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { dateTime } from "../format.ts";
import { useSession } from "../session.tsx";

/** One approval (components/schemas/ListedToolApproval). */
export interface ToolApproval {
  id: string;
  serverId: string;
  serverPath: string;
  key: string;
  status: "approved" | "pending" | "rejected";
  reason: "new" | "changed" | "flagged";
  approvedDefinition: Record<string, unknown> | null;
  pendingDefinition: Record<string, unknown> | null;
  updatedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

const STATUSES = ["pending", "approved", "rejected"] as const;

/** The definition as lines (description first, then the rest as JSON), for a line-by-line comparison. */
function definitionLines(definition: Record<string, unknown> | null): string[] {
  if (!definition) return [];
  const { description, ...rest } = definition;
  return [
    ...(typeof description === "string" ? description.split("\n").map((line) => `description: ${line}`) : []),
    ...JSON.stringify(rest, null, 2).split("\n"),
  ];
}

/** Lines with their position (the key of each rendered line; lines may repeat). */
function numbered(lines: string[]): { number: number; text: string }[] {
  return lines.map((text, number) => ({ number, text }));
}

function Definition({ title, lines, other }: { title: string; lines: string[]; other: string[] }) {
  const others = new Set(other);
  return (
    <figure className="card stack" aria-label={title}>
      <figcaption>
        <strong>{title}</strong>
      </figcaption>
      {lines.length === 0 ? (
        <p className="muted">None (a new tool).</p>
      ) : (
        <pre>
          {numbered(lines).map((line) => (
            <span
              key={line.number}
              className={others.has(line.text) ? undefined : "diff-changed"}
              data-changed={!others.has(line.text)}
            >
              {line.text}
              {"\n"}
            </span>
          ))}
        </pre>
      )}
    </figure>
  );
}

function ApprovalCard({
  approval,
  onDecided,
}: {
  approval: ToolApproval;
  onDecided(next: ToolApproval): void;
}) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const old = definitionLines(approval.approvedDefinition);
  const next = definitionLines(approval.pendingDefinition);
  const decide = async (verdict: "approve" | "reject") => {
    setBusy(true);
    setError(null);
    try {
      const decided = await api.request<ToolApproval>(
        `/approvals/${encodeURIComponent(approval.id)}/${verdict}`,
        {
          method: "POST",
        },
      );
      onDecided({ ...approval, ...decided });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className="card stack" aria-label={`Approval of ${approval.serverPath}/${approval.key}`}>
      <header className="server-card-head">
        <div>
          <h3>
            <code>{approval.key}</code> on <code>{approval.serverPath}</code>
          </h3>
          <span className="muted">
            {approval.reason === "new"
              ? "A new tool"
              : approval.reason === "flagged"
                ? "Flagged by the security scan"
                : "Its definition changed"}{" "}
            · {dateTime(approval.updatedAt)}
          </span>
        </div>
        <span className="tag">{approval.status}</span>
      </header>
      <div className="side-by-side">
        <Definition title="Approved (what clients see now)" lines={old} other={next} />
        <Definition title="New (what the upstream serves)" lines={next} other={old} />
      </div>
      <ProblemAlert error={error} />
      {approval.status === "pending" ? (
        <div className="row">
          <button type="button" className="button primary" disabled={busy} onClick={() => decide("approve")}>
            Approve
          </button>
          <button type="button" className="button danger" disabled={busy} onClick={() => decide("reject")}>
            Reject
          </button>
        </div>
      ) : (
        <p role="status">
          {approval.status === "approved" ? "Approved" : "Rejected"}
          {approval.decidedBy ? ` by ${approval.decidedBy}` : ""}
          {approval.decidedAt ? ` at ${dateTime(approval.decidedAt)}` : ""}.
        </p>
      )}
    </article>
  );
}

export function ApprovalsPage() {
  const { api } = useSession();
  const [status, setStatus] = useState<(typeof STATUSES)[number]>("pending");
  const [approvals, setApprovals] = useState<ToolApproval[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    setApprovals(null);
    setError(null);
    api
      .request<{ items: ToolApproval[] }>(`/approvals?status=${status}`)
      .then((page) => setApprovals(page.items), setError);
  }, [api, status]);
  useEffect(load, [load]);

  return (
    <section className="stack" aria-labelledby="approvals-title">
      <h1 id="approvals-title">Tool approvals</h1>
      <p className="muted">
        A held tool is absent from tools/list and its calls are refused on every MCP endpoint until it is
        approved.
      </p>
      <label className="field inline">
        <span>Status</span>
        <select
          value={status}
          onChange={(event) => setStatus(event.target.value as (typeof STATUSES)[number])}
        >
          {STATUSES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </label>
      <ProblemAlert error={error} />
      {approvals === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : approvals.length === 0 ? (
        <p className="muted">No {status} approvals.</p>
      ) : (
        approvals.map((approval) => (
          <ApprovalCard
            key={approval.id}
            approval={approval}
            onDecided={(next) =>
              setApprovals((current) => (current ?? []).map((entry) => (entry.id === next.id ? next : entry)))
            }
          />
        ))
      )}
    </section>
  );
}
