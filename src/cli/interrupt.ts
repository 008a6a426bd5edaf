// Ctrl-C and SIGTERM while steps run: steps live in their own process groups, so the terminal's signal
// never reaches them; the CLI cancels them itself (killing their trees) and then exits with 130.

/** Exit code after an interrupt, as shells report a command ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;

/**
 * Turns the next SIGINT/SIGTERM into an abort of the returned signal. Installed only once steps are
 * about to run, so an interrupt while reading the event still ends the process the usual way; a second
 * interrupt also does, since the handler is a one-shot.
 */
export function cancelOnSignals(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
  }
  return controller.signal;
}

/** The command's own exit code, unless an interrupt cut it short. */
export function unlessInterrupted(code: number, interrupted: AbortSignal): number {
  return interrupted.aborted ? EXIT_INTERRUPTED : code;
}
