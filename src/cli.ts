#!/usr/bin/env node
// The codex-flows command line: thin cac wiring; each command's module loads only when that command runs.
import { registerBackend } from "./cli/backend-command.js";
import { registerCodegen } from "./cli/codegen-command.js";
import { createProgram, type GlobalFlags, positiveInt, requireEvent, runProgram } from "./cli/program.js";
import { projectDir } from "./cli/project-dir.js";
import { registerRun } from "./cli/run-command.js";
import { registerWorker } from "./cli/worker-command.js";

const cli = createProgram();

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

registerRun(cli);

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

void runProgram(cli);
