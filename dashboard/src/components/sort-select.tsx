// The "sort by" control of the servers and agents pages.
import type { SortOrder } from "../rating-order.ts";

export function SortSelect({ value, onChange }: { value: SortOrder; onChange(order: SortOrder): void }) {
  return (
    <label className="sort-select">
      Sort by{" "}
      <select value={value} onChange={(event) => onChange(event.target.value as SortOrder)}>
        <option value="name">Name</option>
        <option value="rating">Rating</option>
      </select>
    </label>
  );
}
