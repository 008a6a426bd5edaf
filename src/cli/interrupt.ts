// Ctrl-C, SIGTERM and SIGHUP while steps run: steps live in their own process groups, so the terminal's
// signal never reaches them; the CLI cancels them itself (killing their trees) and then exits with 130.
import { killAllGroupsNow } from "../process/process-tree.js";

/** Exit code after an interrupt, as shells report a command ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Turns the first SIGINT, SIGTERM or SIGHUP into an abort of the returned signal: running steps are
 * canceled and their trees killed (SIGTERM, then SIGKILL after a grace period). A second one does not
 * wait: every step's group gets SIGKILL at once and the CLI exits. Installed only once steps are about
 * to run, so an interrupt while reading the event ends the process the usual way.
 */
export function cancelOnSignals(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) {
      controller.abort(new Error(`received ${signal}`));
      return;
    }
    killAllGroupsNow();
    process.exit(EXIT_INTERRUPTED);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return controller.signal;
}

/** The command's own exit code, unless an interrupt cut it short. */
export function unlessInterrupted(code: number, interrupted: AbortSignal): number {
  return interrupted.aborted ? EXIT_INTERRUPTED : code;
}
