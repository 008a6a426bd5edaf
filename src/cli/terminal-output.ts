// Step output on the terminal: every line prefixed with `[flow/step]`, written to stderr as it arrives.
import { RESULT_PREFIX } from "../runner/result.js";
import type { OutputSink } from "../runner/runner.js";

/**
 * A sink that writes complete lines with a prefix. Partial lines are held until their newline (or
 * `flush`), so two steps running at once never interleave inside a line. stdout of the CLI stays
 * reserved for the command's own report (and `--json`).
 *
 * The step's FLOW_RESULT line is not echoed (the run line that follows says the same, readably), nor
 * is the blank stdout line `defineStep` writes before it so it always starts a line of its own.
 */
export function prefixedSink(prefix: string, write: (text: string) => void = (text) => process.stderr.write(text)) {
  const pending: Record<string, string> = {};
  // A blank stdout line is held until the next line shows whether it only separated the result.
  let heldBlank = false;
  const shown = (stream: string, line: string): string[] => {
    if (stream !== "stdout") return [line];
    const bare = line.replace(/\r$/, "");
    if (bare.startsWith(RESULT_PREFIX)) {
      heldBlank = false;
      return [];
    }
    if (bare === "") {
      const before = heldBlank ? [""] : [];
      heldBlank = true;
      return before;
    }
    const before = heldBlank ? ["", line] : [line];
    heldBlank = false;
    return before;
  };
  const emit = (lines: string[]) => {
    if (lines.length > 0) write(lines.map((line) => (line ? `${prefix} ${line}\n` : `${prefix}\n`)).join(""));
  };
  const sink: OutputSink = (stream, text) => {
    const lines = ((pending[stream] ?? "") + text).split("\n");
    pending[stream] = lines.pop() ?? "";
    emit(lines.flatMap((line) => shown(stream, line)));
  };
  const flush = () => {
    for (const [stream, rest] of Object.entries(pending)) {
      if (rest) emit(shown(stream, rest));
      pending[stream] = "";
    }
    // A blank line at the very end was output of the step's own, not a separator.
    if (heldBlank) emit([""]);
    heldBlank = false;
  };
  return { sink, flush };
}
