// mcpgw: the gateway's command line. Finds the command in argv, parses its
// options with node:util parseArgs (strict), runs it, and turns failures into
// exit codes: 0 ok, 1 failure (the gateway's message, field errors listed),
// 2 wrong usage. --json prints machine-readable results on stdout, also for errors.
import { parseArgs } from "node:util";
import { CliError, type Command, type OptionSpec, UsageError, type Values } from "./command.ts";
import { approvalCommands } from "./commands/approvals.ts";
import { auditCommands } from "./commands/audit.ts";
import { communityCommands } from "./commands/community.ts";
import { configCommands } from "./commands/config.ts";
import { connectionCommands } from "./commands/connections.ts";
import { invokeCommands } from "./commands/invoke.ts";
import { loginCommands } from "./commands/login.ts";
import { scopeCommands } from "./commands/scopes.ts";
import { searchCommands } from "./commands/search.ts";
import { serverCommands } from "./commands/servers.ts";
import { tokenCommands } from "./commands/tokens.ts";
import { virtualServerCommands } from "./commands/virtual-servers.ts";
import { createContext } from "./context.ts";
import { CredentialStore, configDir } from "./credentials.ts";
import { ProblemError } from "./gateway-client.ts";
import { Output, problemLines, processStreams, type Streams } from "./output.ts";

export const COMMANDS: Command[] = [
  ...loginCommands,
  ...serverCommands,
  ...virtualServerCommands,
  ...invokeCommands,
  ...searchCommands,
  ...scopeCommands,
  ...tokenCommands,
  ...auditCommands,
  ...approvalCommands,
  ...connectionCommands,
  ...configCommands,
  ...communityCommands,
];

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  gateway: { type: "string", help: "<url> the gateway (else MCPGW_URL, else the last login)" },
  json: { type: "boolean", help: "print JSON on stdout (results and errors)" },
  help: { type: "boolean", short: "h", help: "show help" },
};

const usageLine = (command: Command) =>
  `mcpgw ${command.name.join(" ")}${command.args ? ` ${command.args}` : ""}${command.options ? " [options]" : ""}`;

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const [placeholder, ...rest] = spec.help.startsWith("<") ? spec.help.split(/(?<=>) /) : ["", spec.help];
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${placeholder ? ` ${placeholder}` : ""}`;
    return [flag, rest.join(" ") || spec.help] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

export function commandHelp(command: Command): string {
  return [
    `Usage: ${usageLine(command)}`,
    "",
    command.summary,
    ...(command.options ? ["", "Options:", ...optionLines(command.options)] : []),
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTIONS),
    ...(command.details ? ["", command.details] : []),
    "",
  ].join("\n");
}

function overview(commands: Command[], heading: string): string {
  const width = Math.max(...commands.map((command) => usageLine(command).length));
  return [
    heading,
    "",
    "Commands:",
    ...commands.map((command) => `  ${usageLine(command).padEnd(width)}  ${command.summary}`),
    "",
    "Global options:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Environment: MCPGW_URL (gateway), MCPGW_TOKEN (token; wins over the stored login),",
    `MCPGW_PASSWORD (development login). Logins are stored in ${configDir()}/credentials.json (mode 0600).`,
    "Exit codes: 0 ok, 1 failure, 2 wrong usage. mcpgw <command> --help for a command's options.",
    "",
  ].join("\n");
}

/** Splits argv into the command and the rest: command words are the first non-option arguments. */
function findCommand(argv: string[]): {
  command?: Command;
  group: Command[];
  rest: string[];
  words: string[];
} {
  const words: number[] = [];
  for (let index = 0; index < argv.length && words.length < 2; index++) {
    const arg = argv[index] ?? "";
    if (arg === "--") break;
    if (arg === "--gateway") index++;
    else if (!arg.startsWith("-")) words.push(index);
  }
  const names = words.map((index) => argv[index] ?? "");
  for (const count of [2, 1]) {
    const wanted = names.slice(0, count);
    if (wanted.length < count) continue;
    const command = COMMANDS.find((candidate) => candidate.name.join(" ") === wanted.join(" "));
    if (command) {
      const taken = new Set(words.slice(0, count));
      return { command, group: [], rest: argv.filter((_, index) => !taken.has(index)), words: wanted };
    }
  }
  const first = names[0];
  const group = first ? COMMANDS.filter((candidate) => candidate.name[0] === first) : [];
  return { group, rest: argv, words: names };
}

export async function main(argv: string[], streams: Streams = processStreams): Promise<number> {
  const json = argv.includes("--json");
  const output = new Output(json, streams);
  let found: ReturnType<typeof findCommand> | undefined;
  try {
    // `mcpgw help <command...>` is `mcpgw <command...> --help`.
    const args = argv[0] === "help" ? [...argv.slice(1), "--help"] : argv;
    found = findCommand(args);
    const { command, group, rest, words } = found;
    if (!command) {
      const wantsHelp = args.includes("--help") || args.includes("-h") || words.length === 0;
      if (group.length > 0 && (wantsHelp || words.length === 1)) {
        output.line(overview(group, `Usage: mcpgw ${group[0]?.name[0]} <command> [options]`));
        return wantsHelp ? 0 : 2;
      }
      if (wantsHelp) {
        output.line(
          overview(COMMANDS, "Usage: mcpgw <command> [options]\n\nThe MCP gateway's command line."),
        );
        return words.length === 0 && !args.includes("--help") && !args.includes("-h") ? 2 : 0;
      }
      throw new UsageError(`unknown command "${words.join(" ")}" (mcpgw --help lists them)`);
    }
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    if (values.help) {
      output.line(commandHelp(command));
      return 0;
    }
    const ctx = createContext(
      output,
      new CredentialStore(),
      process.env,
      typeof values.gateway === "string" ? values.gateway : undefined,
    );
    process.exitCode = 0;
    await command.run(ctx, positionals, values as Values);
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    return report(error, output, json, found?.command);
  }
}

function report(error: unknown, output: Output, json: boolean, command: Command | undefined): number {
  const usage =
    error instanceof UsageError ||
    (error instanceof TypeError && String((error as { code?: string }).code).startsWith("ERR_PARSE_ARGS"));
  const problem = error instanceof ProblemError ? error.problem : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    output.result({ error: problem ?? { title: message, usage } }, () => {});
  }
  if (problem) for (const line of problemLines(problem)) output.error(line);
  else output.error(message);
  if (usage)
    output.error(
      command ? `usage: ${usageLine(command)} (--help for more)` : "mcpgw --help lists the commands",
    );
  if (!(error instanceof CliError || error instanceof ProblemError || usage) && process.env.MCPGW_DEBUG) {
    output.error(String((error as Error).stack));
  }
  return usage ? 2 : 1;
}
