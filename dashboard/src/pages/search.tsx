// Search over tools and servers (GET /api/v1/search). Each hit says why it
// matched: which fields held the search terms, and whether the keyword index,
// the vector index or both found it.
import { type FormEvent, useEffect, useState } from "react";
import type { SearchHit, SearchResponse } from "../api.ts";
import { ProblemAlert } from "../components/problem-alert.tsx";
import { Link, navigate, useLocation } from "../router.tsx";
import { useSession } from "../session.tsx";

const FIELD_LABELS: Record<string, string> = {
  name: "name",
  description: "description",
  details: "details",
  params: "parameters",
  server: "server",
  tags: "tags",
  tools: "tool names",
};

/** The text with each search term marked. */
function Highlight({ text, terms }: { text: string; terms: string[] }) {
  const usable = terms
    .filter((term) => term.length > 1)
    .map((term) => term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (usable.length === 0) return <>{text}</>;
  const pattern = new RegExp(`(${usable.join("|")})`, "gi");
  return (
    <>
      {text.split(pattern).map((part, index) =>
        // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one string never reorder
        index % 2 === 1 ? <mark key={index}>{part}</mark> : <span key={index}>{part}</span>,
      )}
    </>
  );
}

function Hit({ hit, terms }: { hit: SearchHit; terms: string[] }) {
  const target =
    hit.kind === "tool"
      ? `/servers/${encodeURIComponent(hit.serverId)}/tools#tool-${hit.name}`
      : `/servers/${encodeURIComponent(hit.serverId)}/tools`;
  return (
    <li className="card hit">
      <div className="hit-head">
        <span className="kind" data-kind={hit.kind}>
          {hit.kind}
        </span>
        <Link to={target} className="hit-name">
          <Highlight text={hit.kind === "tool" ? hit.name : hit.serverName} terms={terms} />
        </Link>
        {hit.kind === "tool" ? (
          <span className="muted">
            on {hit.serverName} (<code>/{hit.serverPath}/mcp</code>)
          </span>
        ) : null}
      </div>
      {hit.description ? (
        <p className="hit-description">
          <Highlight text={hit.description} terms={terms} />
        </p>
      ) : null}
      <p className="why">
        Matched in{" "}
        {hit.matchedFields.length > 0
          ? hit.matchedFields.map((field) => FIELD_LABELS[field] ?? field).join(", ")
          : "meaning only"}{" "}
        · by {hit.matchedBy.join(" and ")} search · score {hit.score.toFixed(3)}
      </p>
    </li>
  );
}

export function SearchPage() {
  const { api } = useSession();
  const { query } = useLocation();
  const q = query.get("q") ?? "";
  const [draft, setDraft] = useState(q);
  const [response, setResponse] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setDraft(q), [q]);

  useEffect(() => {
    if (q.trim() === "") {
      setResponse(null);
      return;
    }
    const controller = new AbortController();
    setBusy(true);
    setError(null);
    api.search(q, controller.signal).then(
      (result) => {
        setResponse(result);
        setBusy(false);
      },
      (caught: unknown) => {
        if (controller.signal.aborted) return;
        setError(caught);
        setBusy(false);
      },
    );
    return () => controller.abort();
  }, [api, q]);

  function submit(event: FormEvent) {
    event.preventDefault();
    navigate(`/search?q=${encodeURIComponent(draft.trim())}`);
  }

  return (
    <section className="stack" aria-labelledby="search-title">
      <h1 id="search-title">Search</h1>
      <search>
        <form className="search-form" onSubmit={submit}>
          <label htmlFor="search-box" className="visually-hidden">
            Search tools and servers
          </label>
          <input
            id="search-box"
            type="search"
            placeholder="What should the tool do? e.g. add two numbers"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
          <button type="submit" className="button primary">
            Search
          </button>
        </form>
      </search>
      <ProblemAlert error={error} />
      {busy ? <p role="status">Searching…</p> : null}
      {response && !busy ? (
        <>
          <p className="muted" role="status">
            {response.results.length} {response.results.length === 1 ? "result" : "results"} ·{" "}
            {response.mode === "hybrid" ? "keyword and semantic" : "keyword"} search ·{" "}
            {Math.round(response.tookMs)} ms
            {response.terms.length > 0 ? ` · terms: ${response.terms.join(", ")}` : ""}
          </p>
          {response.notice ? <p className="alert warning">{response.notice}</p> : null}
          <ol className="hits">
            {response.results.map((hit) => (
              <Hit key={hit.id} hit={hit} terms={response.terms} />
            ))}
          </ol>
        </>
      ) : null}
    </section>
  );
}
