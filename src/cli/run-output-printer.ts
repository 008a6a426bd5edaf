// A run's output on the terminal, as `fire` shows a step's: every line prefixed with `[flow/step]`.
import type { RunOutputChunk } from "../client/run-output.js";
import { err, out } from "./colors.js";
import { prefixedSink } from "./terminal-output.js";

const toStderr = (text: string) => process.stderr.write(text);
const toStdout = (text: string) => process.stdout.write(text);

/**
 * `logs` writes stdout chunks to stdout and stderr chunks to stderr; `--wait` writes both to stderr,
 * keeping stdout for its report (and `--json`), as `fire` does. A new attempt gets a line of its own.
 */
export function runOutputPrinter(flow: string, step: string, options: { splitStreams: boolean }) {
  const label = `[${flow}/${step}]`;
  const stdoutSink = prefixedSink(
    options.splitStreams ? out().dim(label) : err().dim(label),
    options.splitStreams ? toStdout : toStderr,
  );
  const stderrSink = prefixedSink(err().dim(label), toStderr);
  let attempt = 1;
  const flush = () => {
    stdoutSink.flush();
    stderrSink.flush();
  };
  return {
    chunk(chunk: RunOutputChunk) {
      if (chunk.attempt !== attempt) {
        flush();
        attempt = chunk.attempt;
        toStderr(`${err().dim(`>> ${flow}/${step} attempt ${attempt}`)}\n`);
      }
      if (chunk.stream === "stderr") stderrSink.sink("stderr", chunk.text);
      else stdoutSink.sink("stdout", chunk.text);
    },
    flush,
  };
}
