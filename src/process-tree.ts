// Spawning step processes in their own process group, so a timeout or cancel can kill grandchildren too.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;

/** Spawns `command` as the leader of a new process group (no shell). */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(command, args, { ...options, detached: true, shell: false });
}

/** Signals every process in the group led by `pid`; false when the group no longer exists. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any process of the group is still running. Where /proc exists, zombies do not count: in a
 * container without an init process, killed orphans stay zombies forever, and treating them as alive
 * made every cancel wait out the full SIGKILL grace.
 */
function groupRunning(pid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return signalGroup(pid, 0);
  }
  const group = String(pid);
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command name: state, ppid, pgrp, ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (pgrp === group && state !== "Z") return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

/**
 * Sends SIGTERM to the child's whole process group, then SIGKILL to whatever is left after `graceMs`.
 * The leader exiting does not mean the group is empty (a grandchild may ignore SIGTERM), so the group
 * itself is polled, not the child.
 */
export async function killGroup(child: ChildProcess, graceMs = KILL_GRACE_MS): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !signalGroup(pid, "SIGTERM")) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    if (!groupRunning(pid)) return;
  }
  signalGroup(pid, "SIGKILL");
}
