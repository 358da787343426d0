// What a command is: its name, usage, options (node:util parseArgs
// descriptors) and what it does. main.ts parses the argv against the command's
// options plus the global ones, builds help from the same description, and
// maps errors to exit codes (UsageError: 2, anything else: 1).
import type { ParseArgsOptionDescriptor } from "node:util";
import type { Context } from "./context.ts";

export interface OptionSpec extends ParseArgsOptionDescriptor {
  /** One line for --help; the value's placeholder comes first, e.g. "<a,b> only servers with these tags". */
  help: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Command {
  /** Words after `mcpgw`, e.g. ["servers", "list"]. */
  name: string[];
  summary: string;
  /** Positional arguments as shown in usage, e.g. "<server> <tool>". */
  args?: string;
  options?: Record<string, OptionSpec>;
  /** Extra lines for --help (examples, notes). */
  details?: string;
  run(ctx: Context, positionals: string[], values: Values): Promise<void>;
}

/** Wrong use of the command line (unknown option, missing argument): exit code 2 with usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A failure worth a clear one-line message (no stack): exit code 1. */
export class CliError extends Error {
  override readonly name = "CliError";
}

export function stringOption(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function requireOption(values: Values, name: string): string {
  const value = stringOption(values, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** "a,b, c" -> ["a", "b", "c"]; repeated options are joined first. */
export function listOption(values: Values, name: string): string[] | undefined {
  const value = values[name];
  if (value === undefined || typeof value === "boolean") return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(","));
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

export function exactArgs(positionals: string[], names: string[]): string[] {
  if (positionals.length !== names.length) {
    const missing = names.slice(positionals.length);
    throw new UsageError(
      missing.length > 0
        ? `missing ${missing.map((name) => `<${name}>`).join(" ")}`
        : `unexpected argument "${positionals[names.length]}"`,
    );
  }
  return positionals;
}
