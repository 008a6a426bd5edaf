// The source sent to `thread/codeMode/execute`: a prelude giving the script `flow` and `result()`, then the script.
import { readFile } from "node:fs/promises";
import { RunnerError } from "../../src/core/errors.js";
import type { RunContext } from "../../src/core/types.js";

/**
 * `enabled(ctx, key)`, as `codex-flows/step` has it: `CODEX_FLOW_<KEY>` where the commands run wins, else the
 * boolean `[config]` value, else off. It reads the variable through `tools.exec_command` when called (so it is
 * async) instead of the runner writing variables into the source, which the app-server keeps in its history.
 */
const ENABLED = [
  "async function enabled(ctx, key) {",
  '  const name = "CODEX_FLOW_" + key.toUpperCase().replace(/[^A-Z0-9]/g, "_");',
  '  const read = await tools.exec_command({ cmd: "printenv " + name + " || true", yield_time_ms: 10000 });',
  '  const raw = String(read.output ?? "").trim();',
  "  const value = raw.toLowerCase();",
  '  if (["1", "true", "yes", "on"].includes(value)) return true;',
  '  if (["0", "false", "no", "off"].includes(value)) return false;',
  "  if (value) {",
  '    throw new Error("environment variable " + name + ": must be 1 or 0 (or true/false), got " + JSON.stringify(raw));',
  "  }",
  "  const configured = ctx.flow.config[key];",
  "  if (configured === undefined) return false;",
  '  if (typeof configured !== "boolean") throw new Error("flow.toml [config]." + key + ": must be true or false");',
  "  return configured;",
  "}",
].join("\n");

/**
 * `text()`, `exit()` and `tools` are Code Mode's own globals: `result()` writes the FLOW_RESULT line on a line
 * of its own (the newlines keep it apart from whatever the script wrote before) and ends the script.
 */
export function prelude(context: RunContext): string {
  return [
    "// codex-flows prelude: `flow` is the run context, `result(value)` reports the step's FLOW_RESULT and ends it,",
    "// `await enabled({ flow }, key)` reads a switch such as push (CODEX_FLOW_<KEY> wins over [config]).",
    `const flow = ${JSON.stringify(context.flow)};`,
    'function result(value) { text("\\nFLOW_RESULT " + JSON.stringify(value) + "\\n"); exit(); }',
    ENABLED,
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
