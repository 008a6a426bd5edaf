// `codex-flows codegen [--check]`: registration is light; the generator (and json-schema-to-typescript) loads on use.
import { relative } from "node:path";
import type { CAC } from "cac";
import type { CodegenReport } from "../../codegen/index.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../engine/exit-code.js";
import { formatProblem, shortPath } from "./format.js";
import { projectDir } from "./project-dir.js";

interface CodegenFlags {
  cwd?: string;
  json?: boolean;
  check?: boolean;
}

/** 2 when something could not be generated, else 1 when --check found stale files, else 0. */
export function codegenExitCode(report: CodegenReport): number {
  if (report.errors.length > 0) return EXIT_USAGE;
  return report.stale.length > 0 ? EXIT_FAILED : EXIT_OK;
}

function printReport(cwd: string, report: CodegenReport, check: boolean): void {
  for (const problem of report.errors) console.error(`error: ${formatProblem(cwd, problem)}`);
  for (const problem of report.warnings) console.error(`warning: ${formatProblem(cwd, problem)}`);
  for (const path of report.written) console.log(`wrote ${shortPath(cwd, path)}`);
  for (const path of report.stale) {
    console.log(`stale: ${shortPath(cwd, path)} differs from what codegen generates (run \`codex-flows codegen\`)`);
  }
  const total = report.written.length + report.stale.length + report.unchanged.length;
  if (check) {
    console.log(
      report.stale.length === 0
        ? `ok: ${total} generated file(s) up to date`
        : `${report.stale.length} of ${total} generated file(s) stale`,
    );
  } else {
    console.log(`${total} generated file(s): ${report.written.length} written, ${report.unchanged.length} unchanged`);
  }
  if (report.errors.length > 0) console.error(`${report.errors.length} problem(s): those files were not generated`);
}

export function registerCodegen(cli: CAC): void {
  cli
    .command("codegen", "Generate TypeScript types from flow schemas: flow.gen.ts per flow, flows/flow-events.gen.ts")
    .option("--check", "Write nothing; exit 1 naming the generated files that are stale (for CI)")
    .action(async (flags: CodegenFlags) => {
      const cwd = projectDir(flags);
      const { codegen } = await import("../../codegen/index.js");
      const report = await codegen({ cwd, check: flags.check });
      if (flags.json) {
        const rel = (paths: string[]) => paths.map((path) => relative(cwd, path));
        const { written, stale, unchanged, errors, warnings } = report;
        const ok = codegenExitCode(report) === EXIT_OK;
        console.log(
          JSON.stringify(
            { ok, written: rel(written), stale: rel(stale), unchanged: rel(unchanged), errors, warnings },
            null,
            2,
          ),
        );
      } else {
        printReport(cwd, report, flags.check ?? false);
      }
      process.exitCode = codegenExitCode(report);
    });
}
