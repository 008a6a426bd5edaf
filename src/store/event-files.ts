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
  statSync,
  writeFileSync,
} from "node:fs";
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
 * Owed files (every accepted event, written behind intake) are not fsynced: the database already
 * holds the event durably (fsynced before its 202), and a power loss can only hurt the newest
 * files, which are rewritten from the database (repairEventFile) at start and before a unit reads
 * one. An fsync per event cost a sixth of intake (bench P3: about 4,000 -> 3,300 events/s) for no
 * added safety. The rare repair writes do sync, since they run when something already went wrong.
 */

/** Writes `content` to `path` through a temp file and a rename: readers see the old file or the new one, never half of one. */
function writeFileAtomicSync(path: string, content: string, durable: boolean): void {
  const temp = tempPath(path);
  try {
    const fd = openSync(temp, "w");
    try {
      // writeFileSync on a descriptor loops until all of it is written (writeSync may write less).
      writeFileSync(fd, content);
      if (durable) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    // A full disk fails the write half-way: leave no temp file behind (the database has the event),
    // and report the write's own error, not the clean-up's.
    try {
      rmSync(temp, { force: true });
    } catch {}
    throw error;
  }
}

/**
 * Writes an owed event's file, unless one holding exactly this event is there already (a reader
 * needed it first, or a service stopped before its mark moved). Synchronous on purpose: through
 * node:fs/promises the same open, write, close and rename cost about 300 µs of CPU per file here
 * (four thread-pool round trips, a FileHandle, a promise each), against about 70 µs.
 */
export function writeOwedEventFile(dataDir: string, event: FlowEvent): void {
  const path = eventFilePath(dataDir, event.id);
  // A stat that cannot throw: a missing file (the usual case) costs no exception.
  if (statSync(path, { throwIfNoEntry: false }) !== undefined && eventFileHolds(path, event)) return;
  writeFileAtomicSync(path, contentOf(event), false);
}

export function writeEventFileSync(dataDir: string, event: FlowEvent): string {
  const path = eventFilePath(dataDir, event.id);
  writeFileAtomicSync(path, contentOf(event), true);
  return path;
}

/**
 * Makes the file at `path` hold exactly `event` (the stored one): rewritten when it is missing,
 * empty, torn or otherwise different. True when it had to be rewritten.
 */
export function repairEventFile(path: string, event: FlowEvent): boolean {
  if (eventFileHolds(path, event)) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomicSync(path, contentOf(event), true);
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
