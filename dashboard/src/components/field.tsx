// A labelled form control with its hint and its error (from the server's
// problem+json errors[]), wired for assistive technology: the error is
// announced and linked with aria-describedby, the control marked aria-invalid.
import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from "react";

interface FieldFrame {
  label: ReactNode;
  hint?: ReactNode;
  error?: string | undefined;
}

function describedBy(hintId: string, errorId: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? hintId : "", error ? errorId : ""].filter(Boolean).join(" ");
  return ids || undefined;
}

function Messages({ hint, error, hintId, errorId }: FieldFrame & { hintId: string; errorId: string }) {
  return (
    <>
      {hint ? (
        <span className="field-hint" id={hintId}>
          {hint}
        </span>
      ) : null}
      {error ? (
        <span className="field-error" id={errorId} role="alert">
          {error}
        </span>
      ) : null}
    </>
  );
}

export function TextField({
  label,
  hint,
  error,
  ...input
}: FieldFrame & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(`${id}-hint`, `${id}-error`, hint, error)}
        {...input}
      />
      <Messages hint={hint} error={error} hintId={`${id}-hint`} errorId={`${id}-error`} label={label} />
    </div>
  );
}

export function TextArea({
  label,
  hint,
  error,
  ...textarea
}: FieldFrame & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <textarea
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(`${id}-hint`, `${id}-error`, hint, error)}
        {...textarea}
      />
      <Messages hint={hint} error={error} hintId={`${id}-hint`} errorId={`${id}-error`} label={label} />
    </div>
  );
}
