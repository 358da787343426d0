// Stars for a server or an agent: the mean and how many ratings, and five
// buttons to give (or change) your own rating. Your rating is read when the
// widget first shows; the summary comes with the card and is replaced by the
// answer of each rating.
import { useEffect, useId, useState } from "react";
import type { RatingSummary } from "../api.ts";
import { formatMean } from "../rating-order.ts";
import { useSession } from "../session.tsx";
import { ProblemAlert } from "./problem-alert.tsx";

interface StarRatingProps {
  kind: "servers" | "agents";
  id: string;
  name: string;
  summary: RatingSummary;
  onRated?(summary: RatingSummary): void;
}

export function StarRating({ kind, id, name, summary, onRated }: StarRatingProps) {
  const { api } = useSession();
  const labelId = useId();
  const [current, setCurrent] = useState(summary);
  const [mine, setMine] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => setCurrent(summary), [summary]);
  useEffect(() => {
    let cancelled = false;
    api.myRating(kind, id).then(
      (answer) => {
        if (!cancelled) setMine(answer.mine);
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [api, kind, id]);

  async function rate(stars: number) {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.rate(kind, id, stars);
      setMine(answer.mine);
      const next = { mean: answer.mean, count: answer.count };
      setCurrent(next);
      onRated?.(next);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="star-rating">
      <fieldset className="stars" aria-labelledby={labelId}>
        <legend id={labelId} className="visually-hidden">
          Rate {name}
        </legend>
        {[1, 2, 3, 4, 5].map((stars) => (
          <button
            key={stars}
            type="button"
            className="star"
            data-filled={mine !== null && stars <= mine}
            aria-pressed={mine === stars}
            aria-label={`${stars} star${stars === 1 ? "" : "s"}`}
            disabled={busy}
            onClick={() => void rate(stars)}
          >
            ★
          </button>
        ))}
      </fieldset>
      <span className="rating-summary" data-testid="rating-summary">
        {current.count === 0
          ? "No ratings yet"
          : `${formatMean(current.mean)} (${current.count} rating${current.count === 1 ? "" : "s"})`}
      </span>
      {mine !== null ? <span className="muted rating-mine">Yours: {mine}</span> : null}
      <ProblemAlert error={error} />
    </div>
  );
}
