// Pieces every D1 adapter with listings shares: opaque path cursors, error
// text of D1 failures (messages nest in `cause`), and the visibility filter
// as SQL (the same rule as registry/visibility.ts `canSee`, so pages are cut
// after filtering and never come back short).
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { InvalidCursorError, type Viewer } from "../registry-store.ts";

export function encodeCursor(path: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify({ after: path }));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

export function decodeCursor(cursor: string): string {
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
    const value: unknown = JSON.parse(json);
    if (typeof value === "object" && value !== null && "after" in value && typeof value.after === "string") {
      return value.after;
    }
  } catch {
    // fall through: any decoding failure means the cursor is not one of ours
  }
  throw new InvalidCursorError("the cursor is not valid");
}

/** A page from rows read with `limit + 1` (the extra row says whether more follow), ordered by path. */
export function pageByPath<R extends { path: string }, T>(
  rows: R[],
  limit: number,
  convert: (row: R) => T,
): { items: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(convert),
    nextCursor: rows.length > limit && last ? encodeCursor(last.path) : null,
  };
}

export function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause)
    parts.push(current.message);
  return parts.join(" | ");
}

interface VisibilityColumns {
  visibility: SQLiteColumn;
  owner: SQLiteColumn;
  visibilityGroups: SQLiteColumn;
}

/** Rows `viewer` may see: public, their own, or `group` with a group in common; admins everything. */
export function visibleTo(table: VisibilityColumns, viewer: Viewer): SQL | undefined {
  if (viewer.seesEverything) return undefined;
  return sql`(${table.visibility} = 'public' or ${table.owner} = ${viewer.subject} or (${table.visibility} = 'group' and exists (select 1 from json_each(${table.visibilityGroups}) where value in (select value from json_each(${JSON.stringify(viewer.groups)})))))`;
}
