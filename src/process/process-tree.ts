// Spawning step processes in their own process group, so a timeout or cancel can kill grandchildren too.
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Lineage, readProcesses } from "./lineage.js";
import { PROCESS_TAG_VARIABLE, stepProcesses } from "./process-scan.js";
import { RemoteChild } from "./spawner/remote-child.js";

/** A step's process: started here, or by the spawn helper. */
export type StepChild = ChildProcess | RemoteChild;

/** How long a process group gets between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/** After SIGKILL, how long to wait for the killed processes to be gone. */
const KILL_WAIT_MS = 1_000;
/**
 * How often running steps' lineages are brought up to date. A scan reads /proc/<pid>/stat of every
 * process: about 2.5 ms for 100 processes here, so one every 250 ms costs about 1% of one core, and
 * only while steps run; a process that escapes (see Lineage) has to get away faster than that.
 */
export const LINEAGE_SCAN_MS = 250;

interface Tracked {
  tag: string;
  lineage: Lineage;
}

/** Leaders of groups started here whose pipes are still open. */
const live = new Map<number, Tracked>();
/** Groups a killGroup is stopping right now: their leader may be gone, but members can be left. */
const dying = new Map<number, Tracked>();
const tracked = new WeakMap<StepChild, Tracked>();
let exitHookInstalled = false;
let scanTimer: NodeJS.Timeout | undefined;

function scanLineages(): void {
  if (live.size === 0) {
    clearInterval(scanTimer);
    scanTimer = undefined;
    return;
  }
  const processes = readProcesses();
  if (!processes) return;
  for (const { lineage } of live.values()) lineage.update(processes);
}

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
  for (const [pid, { tag, lineage }] of [...live, ...dying]) {
    signal(-pid, "SIGKILL");
    for (const escaped of stepProcesses(pid, lineage, tag)?.escaped ?? []) signal(escaped, "SIGKILL");
  }
  live.clear();
  dying.clear();
}

/**
 * Spawns `command` (no shell) as the leader of a new process group, its environment tagged with
 * CODEX_FLOWS_PROCESS_TAG so that processes which leave the group can still be found and killed.
 */
export function spawnGroup(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const tag = randomUUID();
  const env = { ...(options.env ?? process.env), [PROCESS_TAG_VARIABLE]: tag };
  const child = spawn(command, args, { ...options, env, detached: true, shell: false });
  if (child.pid !== undefined) trackGroup(child, child.pid, tag);
  return child;
}

/** Registers a started group: killGroup and killAllGroupsNow find it, and its lineage is kept up to date. */
export function trackGroup(child: StepChild, pid: number, tag: string): void {
  if (!exitHookInstalled) process.once("exit", killAllGroupsNow);
  exitHookInstalled = true;
  const entry = { tag, lineage: new Lineage(pid) };
  live.set(pid, entry);
  tracked.set(child, entry);
  child.once("close", () => live.delete(pid));
  // Ancestry is recorded while the step runs: once a parent exits, its children's links to the step are gone.
  scanTimer ??= setInterval(scanLineages, LINEAGE_SCAN_MS).unref();
}

/**
 * The processes to signal: the group (by its id), the lineage's members outside it, and with
 * `escaped`, tagged processes outside both.
 */
function targets(pid: number, entry: Tracked | undefined, escaped: boolean): { running: boolean; pids: number[] } {
  const found = stepProcesses(pid, entry?.lineage, escaped ? entry?.tag : undefined);
  // Without /proc, the group itself is all we can see; signal 0 tells whether anything is left in it.
  if (!found) return { running: signal(-pid, 0), pids: [] };
  return { running: found.inGroup.length + found.escaped.length > 0, pids: found.escaped };
}

/**
 * Sends SIGTERM to the child's whole process group, then SIGKILL to whatever is left after `graceMs`.
 * The leader exiting does not mean the group is empty (a grandchild may ignore SIGTERM), so the group
 * itself is polled; zombies do not count, since in a container without an init process killed orphans
 * stay zombies forever. The step's lineage (descendants by ancestry, see Lineage) goes with the
 * group, even the members that left it with `setsid` and cleared their environment with `env -i`.
 * With `escaped` (for timeouts and cancels), processes outside both that carry the step's tag are
 * killed too (a scan of every process's environment, so not on every normal exit).
 * Resolves once everything found is gone.
 */
export async function killGroup(
  child: StepChild,
  options: { graceMs?: number; escaped?: boolean } = {},
): Promise<void> {
  // A helper-started child may not have its pid yet: a cancel right after the start waits for it.
  const pid = child instanceof RemoteChild ? await child.started : child.pid;
  if (pid === undefined) return;
  const { graceMs = KILL_GRACE_MS, escaped = true } = options;
  const entry = tracked.get(child);
  // The common case after a step ends: its group is already empty and none of its lineage is left,
  // known without reading /proc.
  if (!escaped && !signal(-pid, 0) && !entry?.lineage.mayHaveLiving()) return;
  // Until its tree is gone, a second interrupt's killAllGroupsNow must still find this group.
  if (entry) dying.set(pid, entry);
  try {
    await stopTree(pid, entry, graceMs, escaped);
  } finally {
    dying.delete(pid);
  }
}

async function stopTree(pid: number, entry: Tracked | undefined, graceMs: number, escaped: boolean): Promise<void> {
  let state = targets(pid, entry, escaped);
  if (!state.running) return;
  signal(-pid, "SIGTERM");
  for (const other of state.pids) signal(other, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(50);
    state = targets(pid, entry, escaped);
    if (!state.running) return;
  }
  signal(-pid, "SIGKILL");
  for (const other of state.pids) signal(other, "SIGKILL");
  // SIGKILL is not instant (a process in uninterruptible sleep dies when it wakes): callers such as a
  // cancel answer only once the tree is gone, so wait a moment for it, killing late forks as well.
  const killDeadline = Date.now() + KILL_WAIT_MS;
  while (Date.now() < killDeadline) {
    state = targets(pid, entry, escaped);
    if (!state.running) return;
    signal(-pid, "SIGKILL");
    for (const other of state.pids) signal(other, "SIGKILL");
    await sleep(20);
  }
}
