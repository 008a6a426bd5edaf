// Proving the store can still commit: rewrites one row, for /healthz (a full disk fails here as it would for an event).
import { type Database, statement, withSynchronous } from "./sqlite.js";

/** Commits one tiny write; throws what SQLite throws (SQLITE_FULL on a full disk). No fsync: the answer is about space, not durability. */
export function probeWrite(db: Database, now: number): void {
  withSynchronous(db, "NORMAL", () =>
    statement(db, "INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at").run(
      now,
    ),
  );
}
