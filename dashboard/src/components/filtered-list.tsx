// The frame of a filtered, cursor-paged list page (the audit log, the
// findings): a filter form whose fields are kept in the URL, then the
// loading / empty / table states and a "Load more" button.
import type { FormEvent, ReactNode } from "react";
import { navigate } from "../router.tsx";
import type { CursorPages } from "../use-cursor-pages.ts";
import { ProblemAlert } from "./problem-alert.tsx";

/** The named filters present in a query, in `names` order, empty ones left out. */
export function pickFilters(query: URLSearchParams, names: readonly string[]): URLSearchParams {
  const out = new URLSearchParams();
  for (const name of names) {
    const value = query.get(name)?.trim();
    if (value) out.set(name, value);
  }
  return out;
}

/**
 * A form of filter fields (`children`) that, on submit, navigates to `route`
 * with the non-empty values of `names` as its query. Keyed by the current
 * query so the fields show what the URL says after navigation.
 */
export function FilterForm({
  label,
  route,
  names,
  query,
  actions,
  children,
}: {
  label: string;
  route: string;
  names: readonly string[];
  query: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const next = new URLSearchParams();
    for (const name of names) {
      const value = String(data.get(name) ?? "").trim();
      if (value) next.set(name, value);
    }
    navigate(`${route}${next.size > 0 ? `?${next}` : ""}`);
  };
  return (
    <form className="card filters" onSubmit={apply} aria-label={label} key={query}>
      {children}
      <div className="row">
        <button type="submit" className="button primary">
          Apply filters
        </button>
        {actions}
      </div>
    </form>
  );
}

/** A select of fixed options with "Any" first. */
export function FilterSelect({
  name,
  label,
  value,
  options,
}: {
  name: string;
  label: string;
  value: string;
  options: readonly (string | readonly [value: string, label: string])[];
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <select name={name} defaultValue={value}>
        <option value="">Any</option>
        {options.map((option) => {
          const [optionValue, optionLabel] = typeof option === "string" ? [option, option] : option;
          return (
            <option key={optionValue} value={optionValue}>
              {optionLabel}
            </option>
          );
        })}
      </select>
    </label>
  );
}

/** A free-text filter field. */
export function FilterInput({
  name,
  label,
  value,
  placeholder,
}: {
  name: string;
  label: string;
  value: string;
  placeholder: string;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input name={name} placeholder={placeholder} defaultValue={value} />
    </label>
  );
}

/**
 * The list's states: its error, "Loading…", `empty` when nothing matches, or
 * a table with `columns` headers (a column given as null gets a visually
 * hidden `hidden` label) and one `row(item)` each; "Load more" while the
 * gateway has another page.
 */
export function PagedTable<Item>({
  pages,
  label,
  empty,
  columns,
  row,
}: {
  pages: CursorPages<Item>;
  label: string;
  empty: string;
  columns: readonly (string | { hidden: string })[];
  row: (item: Item) => ReactNode;
}) {
  const { items, error, more } = pages;
  return (
    <>
      <ProblemAlert error={error} />
      {items === null ? (
        error ? null : (
          <p role="status">Loading…</p>
        )
      ) : items.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table className="usage-table" aria-label={label}>
          <thead>
            <tr>
              {columns.map((column) =>
                typeof column === "string" ? (
                  <th key={column} scope="col">
                    {column}
                  </th>
                ) : (
                  <th key={column.hidden} scope="col">
                    <span className="visually-hidden">{column.hidden}</span>
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>{items.map(row)}</tbody>
        </table>
      )}
      {more ? (
        <button type="button" className="button" onClick={more}>
          Load more
        </button>
      ) : null}
    </>
  );
}
