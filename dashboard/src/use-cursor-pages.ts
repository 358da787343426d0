// A list the gateway pages by cursor ({ items, nextCursor }): the first page
// loads whenever the query changes, `more` appends the next one. The audit
// log and the findings page read their filtered lists this way.
import { useEffect, useState } from "react";
import { useSession } from "./session.tsx";

export interface CursorPages<Item> {
  /** null while the first page loads (or after it failed). */
  items: Item[] | null;
  error: unknown;
  /** Loads the next page; null when there is none. */
  more: (() => Promise<void>) | null;
}

/** `path` is the API path (e.g. "/audit"); `query` its search parameters as a string, the reload key. */
export function useCursorPages<Item>(path: string, query: string): CursorPages<Item> {
  const { api } = useSession();
  const [items, setItems] = useState<Item[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setItems(null);
    setError(null);
    api.request<{ items: Item[]; nextCursor: string | null }>(`${path}?${query}`).then((page) => {
      setItems(page.items);
      setCursor(page.nextCursor);
    }, setError);
  }, [api, path, query]);

  const more = async () => {
    if (!cursor) return;
    const params = new URLSearchParams(query);
    params.set("cursor", cursor);
    try {
      const page = await api.request<{ items: Item[]; nextCursor: string | null }>(`${path}?${params}`);
      setItems((current) => [...(current ?? []), ...page.items]);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    }
  };

  return { items, error, more: cursor ? more : null };
}
