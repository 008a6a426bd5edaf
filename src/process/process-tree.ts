// Spawning step processes in their own process group, so a timeout or cancel can kill grandchildren too.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { PROCESS_TAG_VARIABLE, stepProcesses } from "./process-scan.js";

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;

/** Leaders of groups started here whose pipes are still open, with their tags. */
const live = new Map<number, string>();
const tags = new WeakMap<ChildProcess, string>();
let exitHookInstalled = false;

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false; // already gone
  }
}

/**
 * SIGKILLs every group still running, synchronously: for a process about to exit (a second Ctrl-C,
 * or exit itself), since detached groups would otherwise outlive it with no timeout.
 */
export function killAllGroupsNow(): void {
  for (const [pid, tag] of live) {
    signal(-pid, "SIGKILL");
    for (const escaped of stepProcesses(pid, tag)?.escaped ?? []) signal(escaped, "SIGKILL");
  }
  live.clear();
}

/**
 * Spawns `command` (no shell) as the leader of a new process group, its environment tagged with
 * CODEX_FLOWS_PROCESS_TAG so that processes which leave the group can still be found and killed.
 */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const tag = randomUUID();
  const env = { ...(options.env ?? process.env), [PROCESS_TAG_VARIABLE]: tag };
  const child = spawn(command, args, { ...options, env, detached: true, shell: false });
  const pid = child.pid;
  if (pid !== undefined) {
    if (!exitHookInstalled) process.once("exit", killAllGroupsNow);
    exitHookInstalled = true;
    live.set(pid, tag);
    tags.set(child, tag);
    child.once("close", () => live.delete(pid));
  }
  return child;
}

/** The processes to signal: the group (by its id), and with `escaped`, tagged processes outside it. */
function targets(pid: number, tag: string | undefined, escaped: boolean): { running: boolean; pids: number[] } {
  const found = stepProcesses(pid, escaped ? tag : undefined);
  // Without /proc, the group itself is all we can see; signal 0 tells whether anything is left in it.
  if (!found) return { running: signal(-pid, 0), pids: [] };
  return { running: found.inGroup.length + found.escaped.length > 0, pids: found.escaped };
}

/**
 * Sends SIGTERM to the child's whole process group, then SIGKILL to whatever is left after `graceMs`.
 * The leader exiting does not mean the group is empty (a grandchild may ignore SIGTERM), so the group
 * itself is polled; zombies do not count, since in a container without an init process killed orphans
 * stay zombies forever. With `escaped` (for timeouts and cancels), processes that left the group but
 * carry its tag are killed too: a `setsid` grandchild holding the step's stdout would otherwise keep
 * the step from ever ending.
 */
export async function killGroup(
  child: ChildProcess,
  options: { graceMs?: number; escaped?: boolean } = {},
): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const { graceMs = KILL_GRACE_MS, escaped = true } = options;
  const tag = tags.get(child);
  // The common case after a step ends: its group is already empty, known without reading /proc.
  if (!escaped && !signal(-pid, 0)) return;
  let state = targets(pid, tag, escaped);
  if (!state.running) return;
  signal(-pid, "SIGTERM");
  for (const other of state.pids) signal(other, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    state = targets(pid, tag, escaped);
    if (!state.running) return;
  }
  signal(-pid, "SIGKILL");
  for (const other of state.pids) signal(other, "SIGKILL");
}
