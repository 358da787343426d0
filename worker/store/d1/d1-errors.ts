// D1 reports constraint failures only as message text, sometimes wrapped in
// causes (drizzle): adapters match on the whole chain.

/** Every message in the error's cause chain, joined. */
export function errorText(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error; current = current.cause)
    parts.push(current.message);
  return parts.join(" | ");
}
