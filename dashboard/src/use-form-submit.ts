// A form that sends one request on submit: busy while it runs, the error it
// failed with, and that error's field errors for the fields to claim.
import { type FormEvent, useState } from "react";
import { ApiError } from "./api.ts";
import { FieldErrors } from "./field-errors.ts";

export function useFormSubmit(action: () => Promise<void>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = new FieldErrors(error instanceof ApiError ? error.fieldErrors : []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return { busy, error, errors, submit };
}
