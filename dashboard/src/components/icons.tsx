// The few icons the navigation uses: inline SVG (no icon font, no requests),
// drawn with the current text colour, hidden from assistive technology.
const PATHS = {
  servers: "M4 5h16v5H4zM4 14h16v5H4zM7.5 7.5h.01M7.5 16.5h.01",
  search: "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4",
  connect: "M7 7h11l-3-3M17 17H6l3 3",
  tokens: "M14.5 4a5.5 5.5 0 1 0 .01 0zM10.6 13.4 4 20M7 17l2 2M5 19l2 2",
  access: "M12 3 5 6v5c0 4.5 3 8.5 7 10 4-1.5 7-5.5 7-10V6zM9 12l2 2 4-4",
  usage: "M4 20V10M10 20V4M16 20v-7M22 20H2",
  agents: "M12 4a3 3 0 1 0 0 6 3 3 0 0 0 0-6zM5 20c0-3.5 3-6 7-6s7 2.5 7 6M18 6l2-2M6 6 4 4",
  federation: "M6 6a2 2 0 1 0 .01 0zM18 6a2 2 0 1 0 .01 0zM12 18a2 2 0 1 0 .01 0zM8 7l3 9M16 7l-3 9M8 6h8",
} as const;

export type IconName = keyof typeof PATHS;

export function Icon({ name }: { name: IconName }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 24 24"
      width="18"
      height="18"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.8"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
