// Whether a long-lived process (the service, `codex-flows worker`) starts its steps through the spawn helper.

import { findBun } from "../../runners/bun/find-bun.js";
import { describeError } from "../core/errors.js";
import { stopSpawnHelper, useSpawnHelper } from "../process/spawn-step.js";

/** Set to 0 to spawn every step from the service itself (the way before the helper; for comparisons). */
export const SPAWN_HELPER_VARIABLE = "CODEX_FLOWS_SPAWN_HELPER";

/**
 * Starts the spawn helper with the project's Bun; without a Bun the steps that need one fail on their
 * own, with the runner's error, so this only notes it. Returns the function that ends the helper.
 */
export function startSpawnHelper(projectDir: string, log: (line: string) => void): () => Promise<void> {
  if (process.env[SPAWN_HELPER_VARIABLE] === "0") return async () => {};
  try {
    useSpawnHelper(findBun(process.env, projectDir));
  } catch (error) {
    log(`steps are spawned directly (no Bun for the spawn helper: ${describeError(error)})`);
    return async () => {};
  }
  // Once only: a second close of the same service must not end a helper another service still uses.
  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= stopSpawnHelper();
    return stopped;
  };
}
