// The demo backend's MCP surface: three small, harmless tools, one resource and
// one prompt, registered on a fresh McpServer by `createDemoServer`. The pure
// functions are exported separately so they can be tested without a transport.
import { type CallToolResult, McpServer } from "@modelcontextprotocol/server";
import * as z from "zod";

export const DEMO_SERVER_INFO = { name: "mcp-gateway-demo", version: "0.1.0" } as const;

// ---------------------------------------------------------------------------
// current_time

export interface ZonedTime {
  timezone: string;
  /** ISO 8601 local time with the zone's UTC offset, e.g. 2026-01-01T09:00:00+09:00. */
  iso: string;
  /** The zone's offset from UTC at that instant, e.g. +09:00. */
  utcOffset: string;
  /** The same instant in UTC. */
  utc: string;
  /** Seconds since the Unix epoch. */
  unix: number;
  weekday: string;
}

/** Formats `at` in an IANA time zone; throws RangeError for an unknown zone. */
export function zonedTime(timezone: string, at: Date = new Date()): ZonedTime {
  // Intl validates the zone name and throws RangeError for unknown zones.
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    weekday: "long",
    timeZoneName: "longOffset",
  });
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(at)) parts[part.type] = part.value;
  const utcOffset = offsetFromGmtLabel(parts.timeZoneName ?? "GMT");
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}:${parts.second}`;
  return {
    timezone: format.resolvedOptions().timeZone,
    iso: `${date}T${time}${utcOffset}`,
    utcOffset,
    utc: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    unix: Math.floor(at.getTime() / 1000),
    weekday: parts.weekday ?? "",
  };
}

/** "GMT+09:00" → "+09:00"; plain "GMT" (UTC itself) → "+00:00". */
function offsetFromGmtLabel(label: string): string {
  const offset = label.replace(/^GMT/, "");
  return offset === "" ? "+00:00" : offset;
}

// ---------------------------------------------------------------------------
// convert_units

type Quantity = "length" | "mass" | "temperature";

// Factors to the quantity's base unit (metre, kilogram). Temperature is affine
// and handled separately.
const LINEAR_UNITS = {
  mm: { quantity: "length", factor: 0.001 },
  cm: { quantity: "length", factor: 0.01 },
  m: { quantity: "length", factor: 1 },
  km: { quantity: "length", factor: 1000 },
  in: { quantity: "length", factor: 0.0254 },
  ft: { quantity: "length", factor: 0.3048 },
  yd: { quantity: "length", factor: 0.9144 },
  mi: { quantity: "length", factor: 1609.344 },
  mg: { quantity: "mass", factor: 0.000001 },
  g: { quantity: "mass", factor: 0.001 },
  kg: { quantity: "mass", factor: 1 },
  t: { quantity: "mass", factor: 1000 },
  oz: { quantity: "mass", factor: 0.028349523125 },
  lb: { quantity: "mass", factor: 0.45359237 },
} as const satisfies Record<string, { quantity: Quantity; factor: number }>;

const TEMPERATURE_UNITS = ["C", "F", "K"] as const;

export const UNITS = [...(Object.keys(LINEAR_UNITS) as (keyof typeof LINEAR_UNITS)[]), ...TEMPERATURE_UNITS];
export type Unit = (typeof UNITS)[number];

export function quantityOf(unit: Unit): Quantity {
  return unit in LINEAR_UNITS ? LINEAR_UNITS[unit as keyof typeof LINEAR_UNITS].quantity : "temperature";
}

/** Converts between units of the same quantity; throws when the quantities differ. */
export function convertUnits(value: number, from: Unit, to: Unit): number {
  const quantity = quantityOf(from);
  if (quantity !== quantityOf(to)) {
    throw new Error(`Cannot convert ${quantityOf(from)} (${from}) to ${quantityOf(to)} (${to}).`);
  }
  const result =
    quantity === "temperature"
      ? fromKelvin(toKelvin(value, from), to)
      : (value * LINEAR_UNITS[from as keyof typeof LINEAR_UNITS].factor) /
        LINEAR_UNITS[to as keyof typeof LINEAR_UNITS].factor;
  // Twelve significant digits hide binary floating-point noise (0.1 ft → 0.03048 m, not 0.030480000000000004).
  return Number(result.toPrecision(12));
}

function toKelvin(value: number, unit: Unit): number {
  if (unit === "C") return value + 273.15;
  if (unit === "F") return ((value - 32) * 5) / 9 + 273.15;
  return value;
}

function fromKelvin(kelvin: number, unit: Unit): number {
  if (unit === "C") return kelvin - 273.15;
  if (unit === "F") return ((kelvin - 273.15) * 9) / 5 + 32;
  return kelvin;
}

// ---------------------------------------------------------------------------
// word_count

export interface TextCounts {
  words: number;
  characters: number;
  charactersExcludingWhitespace: number;
  lines: number;
}

/** Counts words (whitespace-separated), characters (user-perceived graphemes) and lines. */
export function countText(text: string): TextCounts {
  const graphemes = [...new Intl.Segmenter("en", { granularity: "grapheme" }).segment(text)];
  const nonWhitespace = graphemes.filter((g) => !/^\s+$/u.test(g.segment));
  return {
    words: text.split(/\s+/u).filter((word) => word !== "").length,
    characters: graphemes.length,
    charactersExcludingWhitespace: nonWhitespace.length,
    lines: text === "" ? 0 : text.split(/\r\n|\r|\n/u).length,
  };
}

// ---------------------------------------------------------------------------
// The MCP server

const ABOUT = `# MCP Gateway demo backend

A small MCP server that ships with the MCP Gateway & Registry so a fresh
clone has something real to register, search and proxy.

Tools:
- \`current_time\`: the current time in an IANA time zone (default UTC).
- \`convert_units\`: length, mass and temperature conversions.
- \`word_count\`: words, characters and lines of a text.

Every tool is read-only and needs no network access.
`;

function toolResult(summary: string, structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: summary }], structuredContent: structured };
}

function toolError(message: string): CallToolResult {
  return { content: [{ type: "text", text: message }], isError: true };
}

const readOnly = { readOnlyHint: true, destructiveHint: false, openWorldHint: false } as const;

/** A fresh server instance with the demo's tools, resource and prompt. */
export function createDemoServer(): McpServer {
  const server = new McpServer(DEMO_SERVER_INFO, {
    instructions:
      "Demo utilities: the current time in any time zone, unit conversion and text statistics. All tools are read-only.",
  });

  server.registerTool(
    "current_time",
    {
      title: "Current time",
      description:
        "Returns the current date and time in an IANA time zone (for example 'Europe/Paris' or 'Asia/Tokyo'), " +
        "as ISO 8601 local time with its UTC offset, plus the same instant in UTC and as a Unix timestamp.",
      inputSchema: z.object({
        timezone: z
          .string()
          .min(1)
          .default("UTC")
          .describe("IANA time zone name, e.g. 'America/New_York'. Defaults to UTC."),
      }),
      outputSchema: z.object({
        timezone: z.string(),
        iso: z.string(),
        utcOffset: z.string(),
        utc: z.string(),
        unix: z.number(),
        weekday: z.string(),
      }),
      annotations: { ...readOnly, idempotentHint: false },
    },
    ({ timezone }) => {
      try {
        const time = zonedTime(timezone);
        return toolResult(`${time.iso} (${time.weekday}, ${time.timezone})`, { ...time });
      } catch (error) {
        if (error instanceof RangeError) {
          return toolError(`Unknown time zone '${timezone}'. Use an IANA name such as 'Europe/Berlin'.`);
        }
        throw error;
      }
    },
  );

  server.registerTool(
    "convert_units",
    {
      title: "Convert units",
      description:
        "Converts a value between units of the same quantity. Length: mm, cm, m, km, in, ft, yd, mi. " +
        "Mass: mg, g, kg, t (metric tonne), oz, lb. Temperature: C, F, K.",
      inputSchema: z.object({
        value: z.number().describe("The number to convert."),
        from: z.enum(UNITS).describe("Unit of the given value."),
        to: z.enum(UNITS).describe("Unit to convert to; must measure the same quantity."),
      }),
      outputSchema: z.object({
        value: z.number(),
        from: z.string(),
        to: z.string(),
        result: z.number(),
        quantity: z.string(),
      }),
      annotations: { ...readOnly, idempotentHint: true },
    },
    ({ value, from, to }) => {
      try {
        const result = convertUnits(value, from, to);
        return toolResult(`${value} ${from} = ${result} ${to}`, {
          value,
          from,
          to,
          result,
          quantity: quantityOf(from),
        });
      } catch (error) {
        return toolError(error instanceof Error ? error.message : String(error));
      }
    },
  );

  server.registerTool(
    "word_count",
    {
      title: "Word count",
      description:
        "Counts the words (whitespace-separated), characters (as a reader sees them), characters excluding " +
        "whitespace, and lines of a text.",
      inputSchema: z.object({
        text: z.string().max(1_000_000).describe("The text to analyse."),
      }),
      outputSchema: z.object({
        words: z.number(),
        characters: z.number(),
        charactersExcludingWhitespace: z.number(),
        lines: z.number(),
      }),
      annotations: { ...readOnly, idempotentHint: true },
    },
    ({ text }) => {
      const counts = countText(text);
      return toolResult(`${counts.words} words, ${counts.characters} characters, ${counts.lines} lines`, {
        ...counts,
      });
    },
  );

  server.registerResource(
    "about",
    "demo://about",
    {
      title: "About the demo backend",
      description: "What this demo MCP server is and which tools it offers.",
      mimeType: "text/markdown",
    },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/markdown", text: ABOUT }] }),
  );

  server.registerPrompt(
    "meeting_time",
    {
      title: "Find a meeting time",
      description: "Asks the model to find a meeting time that suits two time zones, using current_time.",
      argsSchema: z.object({
        first: z.string().describe("IANA time zone of the first participant."),
        second: z.string().describe("IANA time zone of the second participant."),
      }),
    },
    ({ first, second }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text:
              `Use the current_time tool for ${first} and ${second}, then suggest a one-hour meeting ` +
              "slot within working hours (09:00-17:00) for both.",
          },
        },
      ],
    }),
  );

  return server;
}
