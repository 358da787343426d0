// Small SVG charts (no chart library): bars over time and lines over time.
// Each chart is an image with a text alternative; the numbers are also in
// the tables next to it.

const WIDTH = 600;
const HEIGHT = 140;

export interface LineSeries {
  label: string;
  values: (number | null)[];
  className: string;
}

/** Bars per time step (e.g. calls), errors drawn over them. */
export function BarChart({
  label,
  values,
  overlay,
}: {
  label: string;
  values: number[];
  overlay?: number[];
}) {
  const max = Math.max(1, ...values);
  const width = WIDTH / Math.max(1, values.length);
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
      <title>{label}</title>
      {values.map((value, index) => {
        const height = (value / max) * (HEIGHT - 4);
        const over = overlay?.[index] ?? 0;
        const overHeight = (over / max) * (HEIGHT - 4);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a time step's position is its identity
          <g key={index}>
            {value > 0 ? (
              <rect
                className="bar"
                x={index * width + 0.5}
                y={HEIGHT - height}
                width={Math.max(1, width - 1)}
                height={height}
              />
            ) : null}
            {over > 0 ? (
              <rect
                className="bar-error"
                x={index * width + 0.5}
                y={HEIGHT - overHeight}
                width={Math.max(1, width - 1)}
                height={overHeight}
              />
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** Lines over time (e.g. p50 and p95 latency); gaps where a value is null. */
export function LineChart({ label, series }: { label: string; series: LineSeries[] }) {
  const all = series.flatMap((line) => line.values.filter((value): value is number => value !== null));
  const max = Math.max(1, ...all);
  const steps = Math.max(1, (series[0]?.values.length ?? 1) - 1);
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label}>
      <title>{label}</title>
      {series.map((line) => {
        const points = line.values
          .map((value, index) =>
            value === null ? null : `${(index / steps) * WIDTH},${HEIGHT - 2 - (value / max) * (HEIGHT - 6)}`,
          )
          .filter((point): point is string => point !== null);
        // Dots too, so a window with a single point still shows it.
        const dots = points.map((point) => `M${point.replace(",", " ")}h0.01`).join("");
        return (
          <g key={line.label} className={line.className}>
            <polyline points={points.join(" ")} fill="none" />
            <path d={dots} className="dots" />
          </g>
        );
      })}
    </svg>
  );
}

/** A tiny inline bar chart for table rows (one path: bars need no keys). */
export function Sparkline({ label, values }: { label: string; values: number[] }) {
  const max = Math.max(1, ...values);
  const width = 120 / Math.max(1, values.length);
  const bars = values
    .map((value, index) => {
      if (value <= 0) return "";
      const height = (value / max) * 24;
      return `M${index * width} 24v${-height}h${Math.max(0.5, width)}v${height}z`;
    })
    .join("");
  return (
    <svg className="sparkline" viewBox="0 0 120 24" role="img" aria-label={label}>
      <path d={bars} />
    </svg>
  );
}
