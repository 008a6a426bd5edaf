// SQLite online backup: a consistent copy of the live database, taken while the service keeps writing.
import type { Database } from "./sqlite.js";

/** Copies the whole database to `destination` in one step (no restarts when the service writes meanwhile). */
export async function backupDatabase(db: Database, destination: string): Promise<void> {
  await db.backup(destination, { progress: ({ remainingPages }) => Math.max(remainingPages, 100) });
}
