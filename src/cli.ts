#!/usr/bin/env node
// The codex-flows command line: thin cac wiring; each command's module loads only when that command runs.
import { cac } from "cac";
import { version } from "../package.json";
import { registerBackend } from "./cli/backend-command.js";
import { registerCodegen } from "./cli/codegen-command.js";
import { printError } from "./cli/print-error.js";
import { projectDir } from "./cli/project-dir.js";
import { registerWorker } from "./cli/worker-command.js";
import { UsageError } from "./core/errors.js";
import { nearName } from "./core/near-name.js";

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
  verbose?: boolean;
}

cli
  .option("--cwd <dir>", "Project folder holding .codex/flows and flows (default: current folder)")
  .option("--json", "Print machine-readable JSON on stdout")
  .option("--debug", "Print stack traces with errors")
  .option("--verbose", "Say more: fire lists every step that did not run and every schema error of a rejected payload");

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
  .usage("fire --event <file|-> [options]")
  .option("--event <file>", "Event JSON file, or - for stdin (required)")
  .option("--dry-run", "Show what would run, and why the other steps would not")
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
  .usage("run <flow> <step> --event <file|-> [options]")
  .option("--event <file>", "Event JSON file, or - for stdin (required)")
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

cli
  .command("init [name]", "Scaffold flows/<name> (default my-flow): flow.toml, schema, typed step, example event")
  .action(async (name: string | undefined, flags: GlobalFlags) => {
    const { initCommand } = await import("./cli/init.js");
    process.exitCode = await initCommand({ cwd: projectDir(flags), name, json: flags.json });
  });

// Command groups kept in their own modules register here (each loads its heavy modules lazily).
registerCodegen(cli);
registerBackend(cli);
registerWorker(cli);

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

void main();
