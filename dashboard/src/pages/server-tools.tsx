// The tools of one server: name, description and input schema (parameters
// as a table, the full JSON Schema on demand).
import { useEffect, useState } from "react";
import type { CatalogItem, Server } from "../api.ts";
import { CodeBlock } from "../components/code-block.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { can } from "../permissions.ts";
import { Link } from "../router.tsx";
import { useSession } from "../session.tsx";
import { UsagePanel } from "./usage.tsx";

interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  items?: JsonSchema;
}

function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? "any");
  return type === "array" && schema.items ? `${typeOf(schema.items)}[]` : type;
}

function Parameters({ schema }: { schema: JsonSchema }) {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <p className="muted">No parameters.</p>;
  const required = new Set(schema.required ?? []);
  return (
    <table className="parameters">
      <thead>
        <tr>
          <th scope="col">Parameter</th>
          <th scope="col">Type</th>
          <th scope="col">Description</th>
        </tr>
      </thead>
      <tbody>
        {properties.map(([name, property]) => (
          <tr key={name}>
            <td>
              <code>{name}</code>
              {required.has(name) ? <span className="required"> required</span> : null}
            </td>
            <td>
              <code>{typeOf(property)}</code>
            </td>
            <td>{property.description ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function ToolEntry({ tool }: { tool: CatalogItem }) {
  const { definition } = tool;
  const schema = (definition.inputSchema ?? {}) as JsonSchema;
  return (
    <article className="card tool" id={`tool-${tool.key}`} aria-labelledby={`tool-${tool.key}-name`}>
      <h2 id={`tool-${tool.key}-name`}>
        <code>{definition.name ?? tool.key}</code>
        {definition.title && definition.title !== definition.name ? (
          <span className="muted"> {definition.title}</span>
        ) : null}
      </h2>
      {definition.description ? <p className="tool-description">{definition.description}</p> : null}
      <h3 className="subtle-heading">Input</h3>
      <Parameters schema={schema} />
      <details>
        <summary>Input schema (JSON)</summary>
        <CodeBlock
          label={`Input schema of ${definition.name ?? tool.key}`}
          text={JSON.stringify(schema, null, 2)}
        />
      </details>
    </article>
  );
}

export function ServerToolsPage({ id }: { id: string }) {
  const { api, who } = useSession();
  const [server, setServer] = useState<Server | null>(null);
  const [tools, setTools] = useState<CatalogItem[] | null>(null);
  const [filter, setFilter] = useState("");
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    Promise.all([api.getServer(id), api.listTools(id)]).then(([record, items]) => {
      setServer(record);
      setTools(items);
    }, setError);
  }, [api, id]);

  useEffect(() => {
    // Arriving from a search hit: bring that tool into view.
    const hash = window.location.hash.slice(1);
    if (tools && hash) document.getElementById(hash)?.scrollIntoView();
  }, [tools]);

  if (error) return <ProblemAlert error={error} />;
  if (!server || !tools) return <p role="status">Loading tools…</p>;
  const needle = filter.trim().toLowerCase();
  const shown = tools.filter(
    (tool) =>
      needle === "" ||
      tool.key.toLowerCase().includes(needle) ||
      String(tool.definition.description ?? "")
        .toLowerCase()
        .includes(needle),
  );
  return (
    <section className="stack" aria-labelledby="tools-title">
      <p>
        <Link to="/servers">← Servers</Link>
      </p>
      <div className="page-head">
        <h1 id="tools-title">Tools of {server.name}</h1>
        <span className="muted">
          {tools.length} {tools.length === 1 ? "tool" : "tools"} · <code>/{server.path}/mcp</code>
        </span>
      </div>
      <div className="field inline">
        <label htmlFor="tool-filter">Filter tools</label>
        <input
          id="tool-filter"
          type="search"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
        />
      </div>
      {shown.length === 0 ? <p className="empty">No tools{needle ? " match" : ""}.</p> : null}
      {shown.map((tool) => (
        <ToolEntry key={tool.key} tool={tool} />
      ))}
      {can(who, "view_metrics") ? <UsagePanel server={server.path} /> : null}
    </section>
  );
}
