// `backend backup`: an online SQLite backup plus exactly the event files of the events in that snapshot.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { BackendError } from "../core/errors.js";
import type { FlowEvent } from "../core/types.js";
import { backupDatabase } from "../store/backup.js";
import { EVENTS_FOLDER, eventFileHolds, eventFilePath, writeEventFileSync } from "../store/event-files.js";
import { DATABASE_FILE, openStore } from "../store/open-store.js";
import { statement } from "../store/sqlite.js";

export interface BackupReport {
  out: string;
  database: string;
  events: number;
  /** Event files missing or damaged in the live folder (a crash or power loss), rebuilt from the database. */
  rebuilt: number;
}

/**
 * The copy is a working data dir: start `backend serve --data-dir <out>` on it to restore. The
 * database is snapshotted first; then the events folder is filled from that snapshot's event list,
 * so the two always agree even while the service keeps accepting events.
 */
export async function backupDataDir(dataDir: string, out: string): Promise<BackupReport> {
  const source = join(dataDir, DATABASE_FILE);
  if (!existsSync(source)) {
    throw new BackendError("no backend database here", {
      where: source,
      hint: "pass the service's --data-dir (or set CODEX_FLOW_BACKEND_DATA_DIR)",
    });
  }
  const target = resolve(out);
  const database = join(target, DATABASE_FILE);
  if (existsSync(database)) {
    throw new BackendError("the backup folder already holds a database", {
      where: target,
      hint: "back up into a new, empty folder",
    });
  }
  mkdirSync(join(target, EVENTS_FOLDER), { recursive: true });
  const live = await openStore(source, { readonly: true });
  try {
    await backupDatabase(live, database);
  } finally {
    live.close();
  }
  const copy = await openStore(database);
  let events = 0;
  let rebuilt = 0;
  try {
    for (const row of statement(copy, "SELECT id, body FROM events").iterate() as Iterable<{
      id: string;
      body: string;
    }>) {
      events += 1;
      const from = eventFilePath(dataDir, row.id);
      const event = JSON.parse(row.body) as FlowEvent;
      if (eventFileHolds(from, event)) copyFileSync(from, eventFilePath(target, row.id));
      else {
        writeEventFileSync(target, event);
        rebuilt += 1;
      }
    }
  } finally {
    copy.close();
  }
  return { out: target, database, events, rebuilt };
}

/** Lists a backup's event files (for reports and tests). */
export function eventFilesIn(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, EVENTS_FOLDER)).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
}
