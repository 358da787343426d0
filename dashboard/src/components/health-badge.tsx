// A server's health at a glance: status word and colour, latency, and when
// it was last checked (relative, with the exact time as a tooltip).
import type { HealthSummary } from "../api.ts";
import { relativeTime } from "../format.ts";

export function HealthBadge({ health }: { health: HealthSummary }) {
  return (
    <span className="health" data-status={health.status}>
      <span className="health-dot" aria-hidden="true" />
      <span className="health-status">{health.status}</span>
    </span>
  );
}

export function HealthDetails({ health }: { health: HealthSummary }) {
  return (
    <span className="health-details">
      {health.latencyMs !== null ? <span>{Math.round(health.latencyMs)} ms</span> : null}
      <span title={health.checkedAt ?? undefined}>
        {health.checkedAt ? `checked ${relativeTime(health.checkedAt)}` : "not checked yet"}
      </span>
    </span>
  );
}
