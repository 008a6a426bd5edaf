// The CLI's exit codes, shared by every command and documented in the README.
import type { FlowStatus } from "../core/types.js";

export const EXIT_OK = 0;
/** A step failed. */
export const EXIT_FAILED = 1;
/** Bad usage, configuration or input (flow.toml, schema, event). */
export const EXIT_USAGE = 2;
/** A step is blocked or needs intervention. */
export const EXIT_ATTENTION = 3;

/** 1 if any step failed, else 2 if there were configuration errors, else 3 if any step needs a person, else 0. */
export function exitCodeFor(statuses: FlowStatus[], configErrors = 0): number {
  if (statuses.includes("failed")) return EXIT_FAILED;
  if (configErrors > 0) return EXIT_USAGE;
  if (statuses.some((status) => status === "blocked" || status === "needs_intervention")) return EXIT_ATTENTION;
  return EXIT_OK;
}
