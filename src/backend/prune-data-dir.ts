// `backend prune`: deletes events older than a cutoff, with their runs and event files, from a stopped service's data dir.
import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { BackendError } from "../core/errors.js";
import { eventFilePath, removeStaleTempFiles } from "../store/event-files.js";
import { DATABASE_FILE, openStore } from "../store/open-store.js";
import { type PruneCounts, pruneEvents } from "../store/prune-events.js";
import { lockDataDir } from "./data-dir-lock.js";

export interface PruneReport extends PruneCounts {
  dataDir: string;
  /** ISO time: events accepted before it were candidates. */
  acceptedBefore: string;
  eventFiles: number;
}

/**
 * Takes the data dir's lock like a service does, so it never runs beside one: a service caches
 * nothing about old events, but a prune's deletes would hold the write lock long enough to stall its
 * accepts (up to busy_timeout, then 503s). A stopped service is the documented way; the lock makes
 * it the only one. Files go after their rows are committed: a crash in between leaves a few files no
 * row points at, never a row whose file is gone.
 */
export async function pruneDataDir(dataDir: string, olderThanMs: number, now = Date.now()): Promise<PruneReport> {
  const database = join(dataDir, DATABASE_FILE);
  if (!existsSync(database)) {
    throw new BackendError("no backend database here", {
      where: database,
      hint: "pass the service's --data-dir (or set CODEX_FLOW_BACKEND_DATA_DIR)",
    });
  }
  let lock: Awaited<ReturnType<typeof lockDataDir>>;
  try {
    lock = await lockDataDir(dataDir, `prune:${process.pid}`);
  } catch (error) {
    throw new BackendError(`cannot prune while the service runs: ${(error as Error).message}`, {
      where: dataDir,
      hint: "stop `codex-flows backend serve` on this data dir, run prune, then start it again",
      cause: error,
    });
  }
  try {
    // A service that died left its temp files for the next holder of the lock, which is this one:
    // the next service will see a clean release and not look for them.
    if (lock.predecessorDied) removeStaleTempFiles(dataDir);
    const db = await openStore(database);
    try {
      const acceptedBefore = now - olderThanMs;
      let eventFiles = 0;
      const counts = pruneEvents(db, {
        acceptedBefore,
        onDeleted: (ids) => {
          for (const id of ids) {
            try {
              unlinkSync(eventFilePath(dataDir, id));
              eventFiles += 1;
            } catch (error) {
              if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
            }
          }
        },
      });
      return { dataDir, acceptedBefore: new Date(acceptedBefore).toISOString(), ...counts, eventFiles };
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
