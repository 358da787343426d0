// Small rules shared by the registry services (servers and agents): how a
// listing reports a bad cursor, how a partial update keeps absent fields, and
// how observers are told about committed changes.
import { GatewayError } from "../http/errors.ts";
import { InvalidCursorError } from "../store/registry-store.ts";

/** Runs a store listing; a cursor the store cannot read is the caller's 400, naming `cursor`. */
export async function listingPage<T>(list: () => Promise<T>): Promise<T> {
  try {
    return await list();
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw new GatewayError("validation", {
        status: 400,
        errors: [{ field: "cursor", message: "not a cursor from a previous page" }],
      });
    }
    throw error;
  }
}

/** Drops keys whose value is undefined so a partial update never erases a field. */
export function definedFields<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/**
 * Derived data must never make a committed registry change look failed:
 * observer errors are logged, and observers are expected to be idempotent
 * so a later save or a reindex repairs what was missed.
 */
export async function notifyObservers<O>(
  observers: O[],
  call: (observer: O) => Promise<void>,
  event: string,
) {
  const results = await Promise.allSettled(observers.map(call));
  for (const result of results) {
    if (result.status === "rejected") {
      console.error(JSON.stringify({ level: "error", event, error: String(result.reason) }));
    }
  }
}
