// One service per data dir: a pid file, taken over when the process that wrote it is gone (e.g. after kill -9).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BackendError } from "../errors.js";

export const LOCK_FILE = "service.pid";

interface LockContent {
  pid: number;
  workerId: string;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data dir for this process. Because only one live service may hold it, every local worker
 * recorded in the store that is not ours is known dead, and its runs can be recovered at once.
 */
export function lockDataDir(dataDir: string, workerId: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const content: LockContent = { pid: process.pid, workerId, startedAt: new Date().toISOString() };
  for (let tries = 0; tries < 3; tries++) {
    try {
      writeFileSync(path, `${JSON.stringify(content)}\n`, { flag: "wx" });
      return {
        release: () => {
          try {
            const held = JSON.parse(readFileSync(path, "utf8")) as LockContent;
            if (held.pid === process.pid) rmSync(path, { force: true });
          } catch {}
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder: LockContent | undefined;
    try {
      holder = JSON.parse(readFileSync(path, "utf8")) as LockContent;
    } catch {}
    if (holder && holder.pid !== process.pid && alive(holder.pid)) {
      throw new BackendError(`another codex-flows backend (pid ${holder.pid}) is using this data dir`, {
        where: dataDir,
        hint: "stop it first, or give this one its own --data-dir",
      });
    }
    rmSync(path, { force: true });
  }
  throw new BackendError("could not take the data dir lock", { where: path, hint: "remove the file and retry" });
}
