// Registers `codex-flows run <flow> <step>`; in both CLI bundles (src/cli.ts and the run-only src/cli-run.ts).
import type { CAC } from "cac";
import { type GlobalFlags, requireEvent } from "./program.js";
import { projectDir } from "./project-dir.js";

export function registerRun(cli: CAC): void {
  cli
    .command("run <flow> <step>", "Run one step of one flow (for CI jobs); the payload is still validated")
    .usage("run <flow> <step> --event <file|-> [options]")
    .option("--event <file>", "Event JSON file, or - for stdin (required)")
    .action(async (flow: string, step: string, flags: GlobalFlags & { event?: string }) => {
      const { runCommand } = await import("./run.js");
      process.exitCode = await runCommand({
        cwd: projectDir(flags),
        flow,
        step,
        event: requireEvent(flags.event),
        json: flags.json,
      });
    });
}
