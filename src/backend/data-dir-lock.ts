// One service per data dir: a SQLite write lock on <data-dir>/service.lock, held for the service's life.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BackendError } from "../core/errors.js";
import { type Database, openDatabase } from "../store/sqlite.js";

export const LOCK_FILE = "service.lock";
/** Who holds the lock, for messages and operators; the lock itself never depends on it. */
export const PID_FILE = "service.pid";

interface Holder {
  pid: number;
  workerId: string;
  startedAt: string;
}

export interface DataDirLock {
  release(): void;
  /**
   * Whether the previous holder ended without releasing the lock (killed, crashed, power loss): its
   * pid file was still there. Only then can half-written files of its be lying around.
   */
  readonly predecessorDied: boolean;
}

function readHolder(path: string): Holder | undefined {
  try {
    const holder = JSON.parse(readFileSync(path, "utf8")) as Holder;
    return Number.isInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED";
}

/**
 * Takes the data dir for this process, or fails naming the holder. An open write transaction
 * (BEGIN IMMEDIATE) on a file of its own is an OS lock (fcntl) that the kernel drops when the process
 * dies, however it dies: no stale lock to take over, no pid to trust, and taking it is atomic, so
 * of any number of simultaneous starters exactly one wins. Because only one live service can hold it,
 * every local worker recorded in the store that is not ours is known dead, and its runs can be
 * recovered at once.
 */
export async function lockDataDir(dataDir: string, workerId: string): Promise<DataDirLock> {
  const lockPath = join(dataDir, LOCK_FILE);
  const pidPath = join(dataDir, PID_FILE);
  const db: Database = await openDatabase(lockPath);
  try {
    // Fail at once instead of waiting: the holder keeps the lock for as long as it runs.
    db.pragma("busy_timeout = 0");
    db.exec("BEGIN IMMEDIATE");
  } catch (error) {
    db.close();
    if (!isBusy(error)) throw error;
    const holder = readHolder(pidPath);
    throw new BackendError(
      `another codex-flows backend ${holder ? `(pid ${holder.pid}) ` : ""}is using this data dir`,
      { where: dataDir, hint: "stop it first, or give this one its own --data-dir" },
    );
  }
  // Every holder removes the file on release, so one found here belongs to a holder that never did.
  const predecessorDied = existsSync(pidPath);
  const holder: Holder = { pid: process.pid, workerId, startedAt: new Date().toISOString() };
  const temp = `${pidPath}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(holder)}\n`);
  renameSync(temp, pidPath);
  return {
    predecessorDied,
    release: () => {
      if (readHolder(pidPath)?.workerId === workerId) rmSync(pidPath, { force: true });
      db.close();
    },
  };
}
