// A table of the user's records (tokens, connected accounts): a scrolling
// wrapper, a caption for screen readers, the column headers and a last,
// unlabelled column for the row's action buttons.
import type { ReactNode } from "react";

export function RecordTable({
  className,
  caption,
  columns,
  children,
}: {
  className: string;
  caption: string;
  columns: readonly string[];
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table className={className}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A row's destructive button (revoke, disconnect): disabled while any row acts, `busyLabel` on its own. */
export function RowDangerButton({
  label,
  busyLabel,
  name,
  busy,
  disabled,
  onClick,
}: {
  label: string;
  busyLabel: string;
  /** What it acts on, for the accessible name (`${label} ${name}`). */
  name: string;
  busy: boolean;
  disabled: boolean;
  onClick(): void;
}) {
  return (
    <button
      type="button"
      className="button small danger"
      aria-label={`${label} ${name}`}
      disabled={disabled}
      onClick={onClick}
    >
      {busy ? busyLabel : label}
    </button>
  );
}
