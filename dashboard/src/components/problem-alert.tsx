// Shows a failed API call: the problem's title and detail, plus any field
// errors that no form field claimed (so nothing the server said is lost).
import { ApiError, type FieldError } from "../api.ts";

export function ProblemAlert({ error, unclaimed = [] }: { error: unknown; unclaimed?: FieldError[] }) {
  if (!error) return null;
  const problem = error instanceof ApiError ? error.problem : null;
  const title = problem?.title ?? "Something went wrong";
  const detail = problem ? problem.detail : error instanceof Error ? error.message : String(error);
  return (
    <div className="alert error" role="alert">
      <strong>{title}</strong>
      {detail && detail !== title ? <p>{detail}</p> : null}
      {unclaimed.length > 0 ? (
        <ul>
          {unclaimed.map((item) => (
            <li key={`${item.field}:${item.message}`}>
              {item.field ? <code>{item.field}</code> : null} {item.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
