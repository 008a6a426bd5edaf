// The source sent to `thread/codeMode/execute`: a prelude giving the script `flow` and `result()`, then the script.
import { readFile } from "node:fs/promises";
import { RunnerError } from "../../src/core/errors.js";
import type { RunContext } from "../../src/core/types.js";

/**
 * `text()` and `exit()` are Code Mode's own globals: `result()` writes the FLOW_RESULT line on a line of its
 * own (the newlines keep it apart from whatever the script wrote before) and ends the script.
 */
export function prelude(context: RunContext): string {
  return [
    "// codex-flows prelude: `flow` is the run context, `result(value)` reports the step's FLOW_RESULT and ends it.",
    `const flow = ${JSON.stringify(context.flow)};`,
    'function result(value) { text("\\nFLOW_RESULT " + JSON.stringify(value) + "\\n"); exit(); }',
    "",
  ].join("\n");
}

/** The prelude followed by the step script's text. */
export async function buildSource(context: RunContext, scriptPath: string): Promise<string> {
  let script: string;
  try {
    script = await readFile(scriptPath, "utf8");
  } catch (error) {
    throw new RunnerError(`cannot read the step script (${(error as NodeJS.ErrnoException).code ?? error})`, {
      where: scriptPath,
      hint: "check the step's `script` path in flow.toml",
      cause: error,
    });
  }
  return `${prelude(context)}${script}`;
}
