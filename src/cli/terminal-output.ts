// Step output on the terminal: every line prefixed with `[flow/step]`, written to stderr as it arrives.
import type { OutputSink } from "../runner/runner.js";

/**
 * A sink that writes complete lines with a prefix. Partial lines are held until their newline (or
 * `flush`), so two steps running at once never interleave inside a line. stdout of the CLI stays
 * reserved for the command's own report (and `--json`).
 */
export function prefixedSink(prefix: string, write: (text: string) => void = (text) => process.stderr.write(text)) {
  const pending: Record<string, string> = {};
  const sink: OutputSink = (stream, text) => {
    const lines = ((pending[stream] ?? "") + text).split("\n");
    pending[stream] = lines.pop() ?? "";
    if (lines.length > 0) write(lines.map((line) => `${prefix} ${line}\n`).join(""));
  };
  const flush = () => {
    for (const [stream, rest] of Object.entries(pending)) {
      if (rest) write(`${prefix} ${rest}\n`);
      pending[stream] = "";
    }
  };
  return { sink, flush };
}
