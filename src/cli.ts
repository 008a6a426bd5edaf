#!/usr/bin/env node
// The codex-flows command line: thin cac wiring; each command's module loads only when that command runs.
import { cac } from "cac";
import { version } from "../package.json";
import { registerBackend } from "./cli/backend-command.js";
import { registerCodegen } from "./cli/codegen-command.js";
import { projectDir } from "./cli/project-dir.js";
import { registerWorker } from "./cli/worker-command.js";
import { describeError, FlowError, UsageError } from "./core/errors.js";

const EXIT_USAGE = 2;

const cli = cac("codex-flows");

/** Parses a positive integer option, or throws a usage error naming the flag. */
function positiveInt(value: unknown, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`--${flag} must be a positive integer, got "${String(value)}"`);
  }
  return number;
}

function requireEvent(value: unknown): string {
  if (typeof value === "string" && value.length > 0) return value;
  throw new UsageError("--event is required", { hint: "pass --event FILE, or --event - to read the event from stdin" });
}

interface GlobalFlags {
  cwd?: string;
  json?: boolean;
  debug?: boolean;
}

cli
  .option("--cwd <dir>", "Project folder holding .codex/flows and flows (default: current folder)")
  .option("--json", "Print machine-readable JSON on stdout")
  .option("--debug", "Print stack traces with errors");

cli.command("list", "List discovered flows and their steps, then any problems").action(async (flags: GlobalFlags) => {
  const { listCommand } = await import("./cli/list.js");
  process.exitCode = await listCommand({ cwd: projectDir(flags), json: flags.json });
});

cli
  .command("check", "Validate every flow.toml, payload schema, script path and runner (exit 2 on any problem)")
  .action(async (flags: GlobalFlags) => {
    const { checkCommand } = await import("./cli/check.js");
    process.exitCode = await checkCommand({ cwd: projectDir(flags), json: flags.json });
  });

cli
  .command("fire", "Run every step that matches an event, then the events they chain")
  .option("--event <file>", "Event JSON file, or - for stdin")
  .option("--dry-run", "Show what would run, and why the other steps would not")
  .option("--verbose", "With each rejected payload's one-line reason, list every schema error")
  .option("--concurrency <n>", "Steps running at once", { default: 4 })
  .option("--max-depth <n>", "How many chained `next` hops are allowed", { default: 8 })
  .action(
    async (
      flags: GlobalFlags & {
        event?: string;
        dryRun?: boolean;
        verbose?: boolean;
        concurrency?: unknown;
        maxDepth?: unknown;
      },
    ) => {
      const { fireCommand } = await import("./cli/fire.js");
      process.exitCode = await fireCommand({
        cwd: projectDir(flags),
        event: requireEvent(flags.event),
        json: flags.json,
        dryRun: flags.dryRun,
        verbose: flags.verbose,
        concurrency: positiveInt(flags.concurrency, "concurrency", 4),
        maxDepth: positiveInt(flags.maxDepth, "max-depth", 8),
      });
    },
  );

cli
  .command("run <flow> <step>", "Run one step of one flow (for CI jobs); the payload is still validated")
  .option("--event <file>", "Event JSON file, or - for stdin")
  .action(async (flow: string, step: string, flags: GlobalFlags & { event?: string }) => {
    const { runCommand } = await import("./cli/run.js");
    process.exitCode = await runCommand({
      cwd: projectDir(flags),
      flow,
      step,
      event: requireEvent(flags.event),
      json: flags.json,
    });
  });

// Command groups kept in their own modules register here (each loads its heavy modules lazily).
registerCodegen(cli);
registerBackend(cli);
registerWorker(cli);

cli.help();
cli.version(version);

/** cac's parser reads a lone `-` as "no value"; `--event -` (stdin) must survive, so pass it as `--event=-`. */
function stdinDashAsValue(argv: string[]): string[] {
  return argv.flatMap((arg, index) => {
    if (arg === "-" && argv[index - 1] === "--event") return [];
    return arg === "--event" && argv[index + 1] === "-" ? ["--event=-"] : [arg];
  });
}

async function main(): Promise<void> {
  try {
    cli.parse(stdinDashAsValue(process.argv), { run: false });
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) {
        console.error(`error: unknown command "${cli.args[0]}" (run \`codex-flows --help\` for the commands)`);
        process.exitCode = EXIT_USAGE;
      } else if (!cli.options.help && !cli.options.version) {
        cli.outputHelp();
      }
      return;
    }
    await cli.runMatchedCommand();
  } catch (error) {
    // cac's own errors (unknown option, missing argument) are usage errors too.
    const usage = error instanceof FlowError || (error as Error)?.name === "CACError";
    console.error(`error: ${describeError(error)}`);
    if (cli.options.debug && error instanceof Error && error.stack) console.error(error.stack);
    process.exitCode = usage && !(error instanceof FlowError && error.code === "runner") ? EXIT_USAGE : 1;
  }
}

void main();
