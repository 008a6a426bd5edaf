// After a crash: step processes the dead service left running are found by their run variables and killed.
import { readdirSync, readFileSync } from "node:fs";

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
