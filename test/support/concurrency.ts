// Runs one async check per item, at most `limit` at a time (table-driven
// tests whose cases are independent requests: the cases overlap their waits
// instead of queueing, and every case still runs and asserts). The first
// failure rejects once the running checks have settled.
export async function forEachConcurrently<T>(
  items: readonly T[],
  limit: number,
  check: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const lane = async () => {
    while (next < items.length && failures.length === 0) {
      const item = items[next++] as T;
      try {
        await check(item);
      } catch (failure) {
        failures.push(failure);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.length > 0) throw failures[0];
}
