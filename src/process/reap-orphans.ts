// After a crash: step processes a dead service or worker left running are found by their run variables and killed.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface OrphanedAttempt {
  runId: string;
  workerId: string;
}

function environOf(pid: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1");
  } catch {
    return undefined;
  }
}

/**
 * A service killed with SIGKILL cannot kill its steps, and they run in their own process groups, so
 * they outlive it. Every step process carries CODEX_FLOW_WORKER_ID and CODEX_FLOW_RUN_ID (children
 * inherit them), which names exactly the processes of an interrupted attempt. Linux only (/proc);
 * elsewhere this finds nothing.
 */
export function killOrphans(attempts: readonly OrphanedAttempt[], log: (line: string) => void): number {
  if (attempts.length === 0) return 0;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name) && name !== String(process.pid));
  } catch {
    return 0;
  }
  const markers = attempts.map((attempt) => [
    `\0CODEX_FLOW_WORKER_ID=${attempt.workerId}\0`,
    `\0CODEX_FLOW_RUN_ID=${attempt.runId}\0`,
  ]);
  let killed = 0;
  for (const pid of pids) {
    const environ = environOf(pid);
    if (!environ) continue;
    const padded = `\0${environ}`;
    if (!markers.some(([worker, run]) => padded.includes(worker as string) && padded.includes(run as string))) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
      killed += 1;
    } catch {}
  }
  if (killed > 0) log(`killed ${killed} leftover step process(es) of interrupted runs`);
  return killed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function workingDir(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return undefined;
  }
}

/**
 * Step processes whose worker died (kill -9, a crash): every step carries CODEX_FLOW_WORKER_PID, so a
 * process naming a pid that is gone has nobody left to stop it. A restarted worker kills those that run
 * inside its own project folder (steps run in their flow's folder), since the control plane has given,
 * or will give, their runs to someone else. Services reap their own (`local:` ids). Linux only (/proc).
 */
export function killOrphansOfDeadWorkers(projectDir: string, log: (line: string) => void): number {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name) && name !== String(process.pid));
  } catch {
    return 0;
  }
  let killed = 0;
  for (const pid of pids) {
    const environ = `\0${environOf(pid) ?? ""}`;
    const owner = /\0CODEX_FLOW_WORKER_PID=(\d+)\0/.exec(environ)?.[1];
    if (owner === undefined || environ.includes("\0CODEX_FLOW_WORKER_ID=local:") || alive(Number(owner))) continue;
    const dir = workingDir(pid);
    if (dir === undefined || (dir !== projectDir && !dir.startsWith(`${projectDir}/`))) continue;
    try {
      process.kill(Number(pid), "SIGKILL");
      killed += 1;
    } catch {}
  }
  if (killed > 0) log(`killed ${killed} leftover step process(es) of a worker that died`);
  return killed;
}
