// Per-event JSON files under <data-dir>/events/, written atomically (temp file, rename); the database is the truth.
import { createHash } from "node:crypto";
import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { FlowEvent } from "../core/types.js";

export const EVENTS_FOLDER = "events";

let counter = 0;

/**
 * A file name for any event id (ids may hold `:`, `/` or anything else): a readable, sanitised
 * prefix plus a hash of the exact id, so two ids never share a file.
 */
export function eventFileName(id: string): string {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  const hash = createHash("sha256").update(id).digest("hex").slice(0, 16);
  return `${readable}-${hash}.json`;
}

export function eventFilePath(dataDir: string, id: string): string {
  return join(dataDir, EVENTS_FOLDER, eventFileName(id));
}

function tempPath(path: string): string {
  counter += 1;
  return `${path}.${process.pid}.${counter}.tmp`;
}

const contentOf = (event: FlowEvent) => `${JSON.stringify(event, null, 2)}\n`;

/*
 * On the hot path (every accepted event) the file is not fsynced: the database already holds the
 * event durably (synchronous=FULL before the 202), and a power loss can only hurt the newest files,
 * which are rewritten from the database (repairEventFile) at start and before a unit reads one. An
 * fsync per event halved intake (bench P3: about 4,000 -> 3,300 events/s here) for no added safety.
 * The rare repair writes do sync, since they run when something already went wrong.
 */

/** Writes the event's file; readers see the old file or the new one, never half of one. */
export async function writeEventFile(dataDir: string, event: FlowEvent): Promise<string> {
  const path = eventFilePath(dataDir, event.id);
  const temp = tempPath(path);
  try {
    const file = await open(temp, "w");
    try {
      await file.writeFile(contentOf(event));
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    // A full disk fails the write half-way: leave no temp file behind (the database has the event).
    await rm(temp, { force: true }).catch(() => {});
    throw error;
  }
  return path;
}

function writeFileAtomicSync(path: string, content: string): void {
  const temp = tempPath(path);
  const fd = openSync(temp, "w");
  try {
    writeSync(fd, content);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

export function writeEventFileSync(dataDir: string, event: FlowEvent): string {
  const path = eventFilePath(dataDir, event.id);
  writeFileAtomicSync(path, contentOf(event));
  return path;
}

/**
 * Makes the file at `path` hold exactly `event` (the stored one): rewritten when it is missing,
 * empty, torn or otherwise different. True when it had to be rewritten.
 */
export function repairEventFile(path: string, event: FlowEvent): boolean {
  if (eventFileHolds(path, event)) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, contentOf(event));
  return true;
}

/** Whether the file at `path` holds exactly `event`, as written here. */
export function eventFileHolds(path: string, event: FlowEvent): boolean {
  try {
    return readFileSync(path, "utf8") === contentOf(event);
  } catch {
    return false;
  }
}

/** What tempPath makes: `<file>.json.<pid>.<n>.tmp`. */
const TEMP_FILE = /\.json\.\d+\.\d+\.tmp$/;

/**
 * Removes the temp files of writes that never reached their rename (the writer was killed, e.g.
 * kill -9). Only for the holder of the data-dir lock, at start: no other writer can be alive then.
 * The database holds every event, so nothing is lost; the real files are checked separately.
 */
export function removeStaleTempFiles(dataDir: string): number {
  const folder = join(dataDir, EVENTS_FOLDER);
  let removed = 0;
  for (const name of readdirSync(folder)) {
    if (!TEMP_FILE.test(name)) continue;
    rmSync(join(folder, name), { force: true });
    removed += 1;
  }
  return removed;
}

export function ensureEventsFolder(dataDir: string): void {
  mkdirSync(join(dataDir, EVENTS_FOLDER), { recursive: true });
}
