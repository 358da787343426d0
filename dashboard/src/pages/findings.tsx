// Security findings of the scanner (GET /api/v1/findings): what each rule
// flagged in which server's tool, resource or prompt, with the excerpt.
// Filters (severity at least, rule, server) are kept in the URL.
import { useEffect, useState } from "react";
import type { StoredFinding } from "../api.ts";
import {
  FilterForm,
  FilterInput,
  FilterSelect,
  PagedTable,
  pickFilters,
} from "../components/filtered-list.tsx";
import { dateTime } from "../format.ts";
import { useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";
import { useCursorPages } from "../use-cursor-pages.ts";

const SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
const NAMES = ["severity", "rule", "server"] as const;
const COLUMNS = ["Severity", "Rule", "Server", "Entry", "Field", "Excerpt", "Found"] as const;

export function FindingsPage() {
  const { api } = useSession();
  const { query } = useLocation();
  const filters = pickFilters(query, NAMES);
  const key = filters.toString();
  const pages = useCursorPages<StoredFinding>("/findings", key);
  const [paths, setPaths] = useState<Map<string, string>>(new Map());

  useEffect(() => {
    api.listServers().then(
      (servers) => setPaths(new Map(servers.map((entry) => [entry.id, entry.path]))),
      () => {},
    );
  }, [api]);

  return (
    <section className="stack" aria-labelledby="findings-title">
      <h1 id="findings-title">Security findings</h1>
      <p className="muted">
        What the scanner flagged in the descriptions and schemas your servers publish: hidden instructions,
        exfiltration, credential harvesting, shadowing, hidden Unicode, encoded payloads.
      </p>
      <FilterForm label="Finding filters" route="/findings" names={NAMES} query={key}>
        <FilterSelect
          name="severity"
          label="Severity at least"
          value={filters.get("severity") ?? ""}
          options={SEVERITIES}
        />
        <FilterInput name="rule" label="Rule" placeholder="rule id" value={filters.get("rule") ?? ""} />
        <FilterSelect name="server" label="Server" value={filters.get("server") ?? ""} options={[...paths]} />
      </FilterForm>
      <PagedTable
        pages={pages}
        label="Findings"
        empty="No findings match."
        columns={COLUMNS}
        row={(finding) => (
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
        )}
      />
    </section>
  );
}
