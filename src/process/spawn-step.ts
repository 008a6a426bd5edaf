// Starting step processes through the spawn helper (spawner/), for processes that start many of them.
import { randomUUID } from "node:crypto";
import { PROCESS_TAG_VARIABLE } from "./process-scan.js";
import { killGroup, type StepChild, spawnGroup, trackGroup } from "./process-tree.js";
import { Spawner } from "./spawner/spawner.js";

let spawner: Spawner | undefined;
let spawnerBun: string | undefined;
let spawnerUsers = 0;

function newSpawner(bun: string): Spawner {
  return new Spawner(bun, (orphans, why) => {
    for (const child of orphans) {
      void killGroup(child);
      child.lost(why);
    }
  });
}

/**
 * From now on, steps started with spawnStep go through a spawn helper run by `bun` (see
 * spawner/spawner-main.ts): for long-lived processes that start many steps, the service and `worker`.
 * Counted: several services in one process share the helper until the last one stops.
 */
export function useSpawnHelper(bun: string): void {
  spawner ??= newSpawner(bun);
  spawnerBun ??= bun;
  spawnerUsers += 1;
}

/** One user is done with the spawn helper; the last one ends it. Steps started later are spawned directly. */
export async function stopSpawnHelper(): Promise<void> {
  spawnerUsers = Math.max(0, spawnerUsers - 1);
  if (spawnerUsers > 0) return;
  const helper = spawner;
  spawner = undefined;
  spawnerBun = undefined;
  await helper?.close();
}

/**
 * Like spawnGroup with piped stdio, through the spawn helper when one is in use (and still running).
 * The pid of a helper-started child is known once its `spawn` event has fired.
 */
export function spawnStep(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): StepChild {
  // A helper that died (its steps were stopped, see newSpawner) is replaced for the next step; one
  // that never answered cannot run here, so steps are spawned directly from then on.
  if (spawner && !spawner.usable) spawner = spawner.answered && spawnerBun ? newSpawner(spawnerBun) : undefined;
  const helper = spawner;
  if (!helper?.usable) return spawnGroup(command, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
  const tag = randomUUID();
  const env = { ...(options.env ?? process.env), [PROCESS_TAG_VARIABLE]: tag };
  const child = helper.spawn({ command, args, cwd: options.cwd, env });
  child.once("spawn", () => {
    if (child.pid === undefined) return;
    trackGroup(child, child.pid, tag);
    helper.adopted(child);
  });
  return child;
}
