// A form that sends one request on submit: busy while it runs, the error it
// failed with, and that error's field errors for the fields to claim.
import type { FormEvent } from "react";
import { ApiError } from "./api.ts";
import { FieldErrors } from "./field-errors.ts";
import { useAction } from "./use-action.ts";

export function useFormSubmit(action: () => Promise<void>) {
  const { busy, error, run } = useAction<"submit">();
  const errors = new FieldErrors(error instanceof ApiError ? error.fieldErrors : []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    await run("submit", action);
  }

  return { busy: busy !== null, error, errors, submit };
}
