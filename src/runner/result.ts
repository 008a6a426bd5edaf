// Reading a step's outcome: the last `FLOW_RESULT {json}` line, checked against schemas/flow-result.schema.json.

import type { FlowResult } from "../core/types.js";
import { contractProblems } from "../schema/contracts.js";
import type { RunnerOutput } from "./runner.js";

export const RESULT_PREFIX = "FLOW_RESULT ";
const STDERR_TAIL_LINES = 20;

/** The last line of `stdout` that starts with `FLOW_RESULT `, without the prefix. */
export function findResultLine(stdout: string): string | undefined {
  let end = stdout.length;
  while (end > 0) {
    const start = stdout.lastIndexOf("\n", end - 1) + 1;
    const line = stdout.slice(start, end).replace(/\r$/, "");
    if (line.startsWith(RESULT_PREFIX)) return line.slice(RESULT_PREFIX.length);
    end = start - 1;
  }
  return undefined;
}

/** The last lines of stderr, for failure messages. */
export function stderrTail(stderr: string, lines = STDERR_TAIL_LINES): string {
  return stderr.trimEnd().split("\n").slice(-lines).join("\n");
}

function failed(message: string, stderr: string, base: Partial<FlowResult> = {}): FlowResult {
  const tail = stderrTail(stderr);
  return { ...base, status: "failed", message: tail ? `${message}\n--- stderr (last lines) ---\n${tail}` : message };
}

/** Parses the FLOW_RESULT line; returns the result or the reason it cannot be used. */
export function parseResultLine(line: string): { result: FlowResult } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { error: `FLOW_RESULT line is not valid JSON (${(error as Error).message})` };
  }
  const problems = contractProblems("result", value);
  if (problems.length > 0) return { error: `FLOW_RESULT is not a valid result: ${problems.join("; ")}` };
  return { result: value as FlowResult };
}

/**
 * The step's result from its runner output. A non-zero exit, a missing line, bad JSON or a bad
 * status all make the step `failed`, with a message saying which and the tail of stderr.
 */
export function resultFromOutput(output: RunnerOutput): FlowResult {
  const line = findResultLine(output.stdout);
  const parsed = line === undefined ? undefined : parseResultLine(line);
  const reported = parsed && "result" in parsed ? parsed.result : undefined;

  if (output.exitCode !== 0) {
    const how =
      output.exitCode === null
        ? `was killed by ${output.exitSignal ?? "a signal"}`
        : `exited with code ${output.exitCode}`;
    const said = reported?.message ? `: ${reported.message}` : "";
    return failed(`step ${how}${said}`, output.stderr, reported ? { ...reported } : {});
  }
  if (line === undefined) {
    // Most often a script written without the helper that prints the line, so name the helper.
    const how = 'wrap the script in `await defineStep((ctx) => ({ status: "completed" }))` from "codex-flows/step"';
    return failed(`step printed no "${RESULT_PREFIX.trim()} {json}" line on stdout (${how})`, output.stderr);
  }
  if (parsed && "error" in parsed) return failed(parsed.error, output.stderr);
  return reported as FlowResult;
}
