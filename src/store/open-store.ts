// Opening the backend's SQLite file: WAL, full sync (a 202 means the event survives power loss), migrations.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { BackendError } from "../core/errors.js";
import { migrate } from "./migrations.js";
import { type Database, openDatabase } from "./sqlite.js";

export const DATABASE_FILE = "backend.sqlite";

/**
 * The pragmas every connection uses, the benchmark's baseline included. synchronous=FULL costs an
 * fsync per commit (about 0.17 ms here); the accept path batches concurrent events into one commit
 * to win that back.
 */
export const PRAGMAS = ["journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "busy_timeout = 5000"];

export interface OpenStoreOptions {
  readonly?: boolean;
}

/** Opens (creating and migrating) the store at `path`. */
export async function openStore(path: string, options: OpenStoreOptions = {}): Promise<Database> {
  if (!options.readonly) mkdirSync(dirname(path), { recursive: true });
  const db = await openDatabase(path, options.readonly ? { readonly: true, fileMustExist: true } : {});
  try {
    for (const pragma of options.readonly ? PRAGMAS.slice(2) : PRAGMAS) db.pragma(pragma);
    // Intake's durability rests on the WAL (store/wal-sync.ts): a file system that refuses it is an error, not a fallback.
    if (!options.readonly && db.pragma("journal_mode", { simple: true }) !== "wal") {
      throw new Error("SQLite could not switch the database to WAL mode (is the data dir on a network file system?)");
    }
    if (!options.readonly) migrate(db);
  } catch (error) {
    db.close();
    throw new BackendError(`cannot prepare the backend database: ${(error as Error).message}`, {
      where: path,
      cause: error,
    });
  }
  return db;
}
