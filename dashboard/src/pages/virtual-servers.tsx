// Virtual servers: curated MCP endpoints (/v/{name}/mcp). Build one by
// searching the catalog and picking tools (each may get another exposed
// name), then list, enable/disable and delete them. The gateway validates
// everything; its field errors (e.g. `tools.1.name`) show next to the pick.
import { useCallback, useEffect, useState } from "react";
import type { SearchHit, VirtualServer, VirtualToolRef } from "../api.ts";
import { TextField } from "../components/field.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { useSession } from "../session.tsx";
import { useFormSubmit } from "../use-form-submit.ts";

function ToolSearch({ onPick, picked }: { onPick(hit: SearchHit): void; picked: VirtualToolRef[] }) {
  const { api } = useSession();
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Not a <form>: this sits inside the builder's form, and forms cannot nest.
  async function search() {
    if (query.trim() === "") return;
    setError(null);
    try {
      const response = await api.search(query.trim());
      setHits(response.results.filter((hit) => hit.kind === "tool"));
    } catch (caught) {
      setError(caught);
    }
  }

  const isPicked = (hit: SearchHit) =>
    picked.some((ref) => ref.server === hit.serverPath && ref.tool === hit.name);
  return (
    <div className="stack">
      <search className="search-form">
        <label htmlFor="virtual-tool-search" className="visually-hidden">
          Search tools to add
        </label>
        <input
          id="virtual-tool-search"
          type="search"
          placeholder="Find tools to add, e.g. add two numbers"
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          onKeyDown={(event) => {
            if (event.key !== "Enter") return;
            event.preventDefault();
            search();
          }}
        />
        <button type="button" className="button" onClick={() => search()}>
          Find tools
        </button>
      </search>
      <ProblemAlert error={error} />
      {hits ? (
        <ul className="hits" aria-label="Tools found">
          {hits.length === 0 ? <li className="muted">No tools found.</li> : null}
          {hits.map((hit) => (
            <li key={hit.id} className="card hit">
              <div className="hit-head">
                <strong>{hit.name}</strong>
                <span className="muted">on {hit.serverPath}</span>
                <button
                  type="button"
                  className="button small"
                  disabled={isPicked(hit)}
                  onClick={() => onPick(hit)}
                  aria-label={`Add ${hit.name} from ${hit.serverPath}`}
                >
                  {isPicked(hit) ? "Added" : "Add"}
                </button>
              </div>
              {hit.description ? <p className="hit-description">{hit.description}</p> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function Builder({ onCreated }: { onCreated(server: VirtualServer): void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [mode, setMode] = useState<"tools" | "discovery">("tools");
  const [tools, setTools] = useState<VirtualToolRef[]>([]);
  const { busy, error, errors, submit } = useFormSubmit(async () => {
    onCreated(await api.createVirtualServer({ name, description, mode, tools }));
    setName("");
    setDescription("");
    setTools([]);
  });

  const rename = (index: number, exposed: string) =>
    setTools((current) =>
      current.map((ref, at) => {
        if (at !== index) return ref;
        const { name: _old, ...rest } = ref;
        return exposed.trim() === "" ? rest : { ...rest, name: exposed.trim() };
      }),
    );

  const nameError = errors.for("name");
  const toolErrors = tools.map((_, index) => errors.for(`tools.${index}`));
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="virtual-new-title" noValidate>
      <h2 id="virtual-new-title">New virtual server</h2>
      <TextField
        label="Name"
        name="virtual-name"
        hint="Served at /v/{name}/mcp"
        placeholder="e.g. support-agent"
        value={name}
        error={nameError}
        onChange={(event) => setName(event.target.value)}
      />
      <TextField
        label="Description"
        name="virtual-description"
        value={description}
        onChange={(event) => setDescription(event.target.value)}
      />
      <div className="field">
        <label htmlFor="virtual-mode">Mode</label>
        <select
          id="virtual-mode"
          value={mode}
          onChange={(event) => setMode(event.target.value as "tools" | "discovery")}
        >
          <option value="tools">tools: list the chosen tools</option>
          <option value="discovery">discovery: only discover_tools and invoke_tool</option>
        </select>
      </div>
      <ToolSearch
        picked={tools}
        onPick={(hit) => setTools((current) => [...current, { server: hit.serverPath, tool: hit.name }])}
      />
      <fieldset>
        <legend>Chosen tools ({tools.length})</legend>
        {tools.length === 0 ? <p className="muted">Search above and add tools.</p> : null}
        <ul className="stack" aria-label="Chosen tools">
          {tools.map((ref, index) => (
            <li key={`${ref.server}/${ref.tool}`} className="picked-tool">
              <TextField
                label={`${ref.tool} on ${ref.server}, exposed as`}
                placeholder={ref.tool}
                value={ref.name ?? ""}
                error={toolErrors[index]}
                onChange={(event) => rename(index, event.target.value)}
              />
              <button
                type="button"
                className="button small"
                onClick={() => setTools((current) => current.filter((_, at) => at !== index))}
                aria-label={`Remove ${ref.tool}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      </fieldset>
      <ProblemAlert error={error} unclaimed={errors.unclaimed()} />
      <div>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? "Creating…" : "Create virtual server"}
        </button>
      </div>
    </form>
  );
}

export function VirtualServersPage() {
  const { api } = useSession();
  const [items, setItems] = useState<VirtualServer[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    api.listVirtualServers().then(setItems, setError);
  }, [api]);
  useEffect(load, [load]);

  async function act(work: Promise<unknown>) {
    setError(null);
    try {
      await work;
      load();
    } catch (caught) {
      setError(caught);
    }
  }

  const origin = api.gatewayOrigin;
  return (
    <section className="stack" aria-labelledby="virtual-title">
      <h1 id="virtual-title">Virtual servers</h1>
      <p className="muted">
        A virtual server is one MCP endpoint over tools you pick from registered servers. Callers still need
        their own grants for every tool.
      </p>
      <ProblemAlert error={error} />
      {items === null ? <p role="status">Loading…</p> : null}
      {items && items.length === 0 ? <p className="muted">No virtual servers yet.</p> : null}
      {items && items.length > 0 ? (
        <ul className="stack" aria-label="Virtual servers">
          {items.map((item) => (
            <li key={item.id} className="card" data-virtual={item.name}>
              <div className="hit-head">
                <strong>{item.name}</strong>
                <span className="muted">
                  {item.mode} · {item.tools.length} {item.tools.length === 1 ? "tool" : "tools"} ·{" "}
                  {item.enabled ? "enabled" : "disabled"}
                </span>
              </div>
              {item.description ? <p>{item.description}</p> : null}
              <p>
                <code>{`${origin}${item.endpoint}`}</code>
              </p>
              <p className="muted">
                {item.tools.map((ref) => `${ref.name ?? ref.tool} (${ref.server}/${ref.tool})`).join(", ")}
              </p>
              <div className="actions">
                <button
                  type="button"
                  className="button small"
                  onClick={() => act(api.setVirtualServerEnabled(item.id, !item.enabled))}
                >
                  {item.enabled ? "Disable" : "Enable"}
                </button>
                <button
                  type="button"
                  className="button small danger"
                  onClick={() => act(api.deleteVirtualServer(item.id))}
                  aria-label={`Delete ${item.name}`}
                >
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <Builder onCreated={() => load()} />
    </section>
  );
}
