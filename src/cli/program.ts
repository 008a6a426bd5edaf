// The cac program every CLI bundle starts from: the global options, option parsing helpers, help, version,
// and the one place a command's error is printed. src/cli.ts adds every command, src/cli-run.ts only `run`.
import { type CAC, cac } from "cac";
import { version } from "../../package.json";
import { UsageError } from "../core/errors.js";
import { nearName } from "../core/near-name.js";
import { printError } from "./print-error.js";

export interface GlobalFlags {
  cwd?: string;
  json?: boolean;
  debug?: boolean;
  verbose?: boolean;
}

/** Parses a positive integer option, or throws a usage error naming the flag. */
export function positiveInt(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got "${String(value)}"`);
  }
  return number;
}

export function requireEvent(value: unknown): string {
  if (typeof value === "string" && value.length > 0) return value;
  throw new UsageError("--event is required", { hint: "pass --event FILE, or --event - to read the event from stdin" });
}

/** `codex-flows` with its global options; commands are added by the caller. */
export function createProgram(): CAC {
  return cac("codex-flows")
    .option("--cwd <dir>", "Project folder holding .codex/flows and flows (default: current folder)")
    .option("--json", "Print machine-readable JSON on stdout")
    .option("--debug", "Print stack traces with errors")
    .option(
      "--verbose",
      "Say more: fire lists every step that did not run and every schema error of a rejected payload",
    );
}

/** cac's parser reads a lone `-` as "no value"; `--event -` (stdin) must survive, so pass it as `--event=-`. */
function stdinDashAsValue(argv: string[]): string[] {
  return argv.flatMap((arg, index) => {
    if (arg === "-" && argv[index - 1] === "--event") return [];
    return arg === "--event" && argv[index + 1] === "-" ? ["--event=-"] : [arg];
  });
}

/** Adds help and version to the program, then parses the command line and runs the command it names. */
export async function runProgram(cli: CAC): Promise<void> {
  // Options described as "(internal ...)" exist for codex-flows' own child processes, not for people.
  cli.help((sections) =>
    sections.map((section) => ({
      ...section,
      body: section.body
        .split("\n")
        .filter((line) => !line.includes("(internal"))
        .join("\n"),
    })),
  );
  cli.version(version);
  try {
    cli.parse(stdinDashAsValue(process.argv), { run: false });
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) {
        const typed = String(cli.args[0]);
        const near = nearName(
          typed,
          cli.commands.map((command) => command.name),
        );
        const hint = near ? `did you mean \`codex-flows ${near}\`?` : "run `codex-flows --help` for the commands";
        process.exitCode = printError(new UsageError(`unknown command "${typed}"`, { hint }), cli.options);
      } else if (!cli.options.help && !cli.options.version) {
        cli.outputHelp();
      }
      return;
    }
    await cli.runMatchedCommand();
  } catch (error) {
    process.exitCode = printError(error, cli.options);
  }
}
