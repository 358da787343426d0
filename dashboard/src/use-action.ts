// One pending action at a time on a card: which one is running (to disable
// buttons and label the busy one) and the error of the last one.
import { useState } from "react";

export function useAction<Kind extends string>() {
  const [busy, setBusy] = useState<Kind | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function run(kind: Kind, action: () => Promise<void>): Promise<void> {
    setBusy(kind);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(null);
    }
  }

  return { busy, error, run };
}
