// A full disk, told apart from other failures: 503 with Retry-After for requests, and what /healthz says about the store.
import { statfsSync } from "node:fs";
import { probeWrite } from "../store/probe-write.js";
import type { Database } from "../store/sqlite.js";
import { HttpError } from "./http-io.js";

/** A full disk is not fixed in a second; half a minute keeps retrying clients from hammering it. */
export const RETRY_AFTER_SECONDS = 30;
/** Below this much free space the store is reported unwritable: the next commit would likely fail. */
export const MIN_FREE_BYTES = 1024 * 1024;

const FULL_CODES = new Set(["SQLITE_FULL", "ENOSPC", "EDQUOT"]);

/** Whether `error`, or any error in its `cause` chain, says the disk (or quota) is full. */
export function isDiskFull(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && FULL_CODES.has(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The answer to a request whose write hit a full disk: the client may retry, and the reason says what to fix. */
export function diskFullAnswer(dataDir: string): HttpError {
  return new HttpError(
    503,
    `the store cannot write: the disk holding the data dir ${dataDir} is full; nothing was stored, retry once space is freed there`,
    { reason: "disk-full", retryAfter: RETRY_AFTER_SECONDS },
    { "retry-after": String(RETRY_AFTER_SECONDS) },
  );
}

export type StoreHealth = { writable: true } | { writable: false; reason: string };

/** Whether the store can commit now: a real (unsynced) one-row write, and the free space on the data dir's disk. */
export function storeHealth(db: Database, dataDir: string): StoreHealth {
  try {
    probeWrite(db, Date.now());
  } catch (error) {
    const what = isDiskFull(error) ? "the disk is full" : (error as Error).message;
    return { writable: false, reason: `the store cannot commit a write (${what}); data dir ${dataDir}` };
  }
  try {
    const { bavail, bsize } = statfsSync(dataDir);
    const free = Number(bavail) * Number(bsize);
    if (free < MIN_FREE_BYTES) {
      return { writable: false, reason: `only ${free} bytes are free on the disk holding the data dir ${dataDir}` };
    }
  } catch {
    // No statfs here: the write above is the answer.
  }
  return { writable: true };
}
