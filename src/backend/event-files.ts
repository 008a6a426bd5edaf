// Per-event JSON files under <data-dir>/events/, written atomically (temp file, then rename).
import { createHash } from "node:crypto";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { FlowEvent } from "../types.js";

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

/** Writes the event's file; readers see the old file or the new one, never half of one. */
export async function writeEventFile(dataDir: string, event: FlowEvent): Promise<string> {
  const path = eventFilePath(dataDir, event.id);
  const temp = tempPath(path);
  await writeFile(temp, contentOf(event));
  await rename(temp, path);
  return path;
}

export function writeEventFileSync(dataDir: string, event: FlowEvent): string {
  const path = eventFilePath(dataDir, event.id);
  const temp = tempPath(path);
  writeFileSync(temp, contentOf(event));
  renameSync(temp, path);
  return path;
}

export function ensureEventsFolder(dataDir: string): void {
  mkdirSync(join(dataDir, EVENTS_FOLDER), { recursive: true });
}
