// Colour for the CLI's terminal lines: on a TTY only, and NO_COLOR / FORCE_COLOR are respected.
import picocolors from "picocolors";

type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Whether to colour what goes to `stream`. FORCE_COLOR wins (`0` or `false` turns colour off, as in
 * Node and chalk), then a non-empty NO_COLOR (no-color.org), then: a TTY that is not `TERM=dumb`.
 * picocolors' own guess looks at stdout only and treats FORCE_COLOR=0 as "on", so it is not used.
 */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  if (env.NO_COLOR) return false;
  return stream.isTTY === true && env.TERM !== "dumb";
}

let stdoutColors: Colors | undefined;
let stderrColors: Colors | undefined;

/** Colour functions for lines written to stdout (identity functions when colour is off). */
export function out(): Colors {
  stdoutColors ??= picocolors.createColors(colorEnabled(process.stdout));
  return stdoutColors;
}

/** Colour functions for lines written to stderr. */
export function err(): Colors {
  stderrColors ??= picocolors.createColors(colorEnabled(process.stderr));
  return stderrColors;
}
