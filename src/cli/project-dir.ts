// The project folder a command works on: `--cwd`, else the current folder; it must be a folder.
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";

/** The absolute project folder; a `--cwd` that is not a folder is a usage error, not an empty project that "passes". */
export function projectDir(flags: { cwd?: string }): string {
  const cwd = resolve(flags.cwd ?? process.cwd());
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UsageError(`--cwd ${cwd} is not a folder`, { hint: "pass the project folder that holds flows/" });
  }
  return cwd;
}
