// Virtual servers: curated MCP endpoints (/v/{name}/mcp). Build one by
// searching the catalog and picking tools (each may get another exposed
// name) or taking a found tool's server whole (all its tools, present and
// future, under their own names: `"tool": "*"`, optionally with all its
// resources and prompts), then list, enable/disable and delete them. The
// gateway validates everything; its field errors (e.g. `tools.1.name`) show
// next to the pick.
import { useCallback, useEffect, useState } from "react";
import type { SearchHit, VirtualServer, VirtualToolRef } from "../api.ts";
import { TextField } from "../components/field.tsx";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { useSession } from "../session.tsx";
import { useFormSubmit } from "../use-form-submit.ts";

/** The item name that takes a whole server (worker/virtual/virtual-server-input.ts). */
const WHOLE_SERVER = "*";

const takesWhole = (ref: VirtualToolRef) => ref.tool === WHOLE_SERVER;

function ToolSearch({ onPick, picked }: { onPick(ref: VirtualToolRef): void; picked: VirtualToolRef[] }) {
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
  const isWhole = (hit: SearchHit) => picked.some((ref) => ref.server === hit.serverPath && takesWhole(ref));
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
                  onClick={() => onPick({ server: hit.serverPath, tool: hit.name })}
                  aria-label={`Add ${hit.name} from ${hit.serverPath}`}
                >
                  {isPicked(hit) ? "Added" : "Add"}
                </button>
                <button
                  type="button"
                  className="button small"
                  disabled={isWhole(hit)}
                  onClick={() => onPick({ server: hit.serverPath, tool: WHOLE_SERVER })}
                  aria-label={`Add all tools of ${hit.serverPath}`}
                >
                  {isWhole(hit) ? "Whole server added" : "Whole server"}
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

/** A server taken whole: its tools under their own names, optionally its resources and prompts too. */
function WholeServerPick(props: {
  server: string;
  error: string | undefined;
  resources: boolean;
  prompts: boolean;
  onToggle(kind: "resources" | "prompts", on: boolean): void;
}) {
  const { server } = props;
  return (
    <div className="stack">
      <strong>All tools of {server}, present and future, under their own names</strong>
      {props.error ? (
        <span className="field-error" role="alert">
          {props.error}
        </span>
      ) : null}
      {(["resources", "prompts"] as const).map((kind) => (
        <label key={kind}>
          <input
            type="checkbox"
            checked={props[kind]}
            onChange={(event) => props.onToggle(kind, event.target.checked)}
          />{" "}
          {`Also all ${kind} of ${server}`}
        </label>
      ))}
    </div>
  );
}

function Builder({ onCreated }: { onCreated(server: VirtualServer): void }) {
  const { api } = useSession();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [mode, setMode] = useState<"tools" | "discovery">("tools");
  const [tools, setTools] = useState<VirtualToolRef[]>([]);
  // Servers taken whole whose resources / prompts are taken whole too.
  const [alsoWhole, setAlsoWhole] = useState<{ resources: string[]; prompts: string[] }>({
    resources: [],
    prompts: [],
  });
  const { busy, error, errors, submit } = useFormSubmit(async () => {
    const whole = new Set(tools.filter(takesWhole).map((ref) => ref.server));
    const resources = alsoWhole.resources
      .filter((server) => whole.has(server))
      .map((server) => ({ server, uri: WHOLE_SERVER }));
    const prompts = alsoWhole.prompts
      .filter((server) => whole.has(server))
      .map((server) => ({ server, prompt: WHOLE_SERVER }));
    onCreated(await api.createVirtualServer({ name, description, mode, tools, resources, prompts }));
    setName("");
    setDescription("");
    setTools([]);
    setAlsoWhole({ resources: [], prompts: [] });
  });
  const toggleAlso = (kind: "resources" | "prompts", server: string, on: boolean) =>
    setAlsoWhole((current) => ({
      ...current,
      [kind]: on ? [...current[kind], server] : current[kind].filter((entry) => entry !== server),
    }));

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
      <ToolSearch picked={tools} onPick={(ref) => setTools((current) => [...current, ref])} />
      <fieldset>
        <legend>Chosen tools ({tools.length})</legend>
        {tools.length === 0 ? <p className="muted">Search above and add tools.</p> : null}
        <ul className="stack" aria-label="Chosen tools">
          {tools.map((ref, index) => (
            <li key={`${ref.server}/${ref.tool}`} className="picked-tool">
              {takesWhole(ref) ? (
                <WholeServerPick
                  server={ref.server}
                  error={toolErrors[index]}
                  resources={alsoWhole.resources.includes(ref.server)}
                  prompts={alsoWhole.prompts.includes(ref.server)}
                  onToggle={(kind, on) => toggleAlso(kind, ref.server, on)}
                />
              ) : (
                <TextField
                  label={`${ref.tool} on ${ref.server}, exposed as`}
                  placeholder={ref.tool}
                  value={ref.name ?? ""}
                  error={toolErrors[index]}
                  onChange={(event) => rename(index, event.target.value)}
                />
              )}
              <button
                type="button"
                className="button small"
                onClick={() => setTools((current) => current.filter((_, at) => at !== index))}
                aria-label={takesWhole(ref) ? `Remove all tools of ${ref.server}` : `Remove ${ref.tool}`}
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

/** "2 tools", or "2 tools + 1 whole server" when servers are taken whole. */
function toolCount(item: VirtualServer): string {
  const whole = item.tools.filter(takesWhole).length;
  const picked = item.tools.length - whole;
  const tools = `${picked} ${picked === 1 ? "tool" : "tools"}`;
  return whole === 0 ? tools : `${tools} + ${whole} whole ${whole === 1 ? "server" : "servers"}`;
}

/** What a virtual server exposes, in one line: picked tools and servers taken whole. */
function describeItems(item: VirtualServer): string {
  const tools = item.tools.map((ref) =>
    takesWhole(ref) ? `all tools of ${ref.server}` : `${ref.name ?? ref.tool} (${ref.server}/${ref.tool})`,
  );
  const resources = (item.resources ?? [])
    .filter((ref) => ref.uri === WHOLE_SERVER)
    .map((ref) => `all resources of ${ref.server}`);
  const prompts = (item.prompts ?? [])
    .filter((ref) => ref.prompt === WHOLE_SERVER)
    .map((ref) => `all prompts of ${ref.server}`);
  return [...tools, ...resources, ...prompts].join(", ");
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
                  {item.mode} · {toolCount(item)} · {item.enabled ? "enabled" : "disabled"}
                </span>
              </div>
              {item.description ? <p>{item.description}</p> : null}
              <p>
                <code>{`${origin}${item.endpoint}`}</code>
              </p>
              <p className="muted">{describeItems(item)}</p>
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
