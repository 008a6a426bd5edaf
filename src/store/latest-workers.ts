// Which worker holds (or last held) each run: its newest attempt's worker id, for the runs list.
import { type Database, statement } from "./sqlite.js";

/** Run id -> worker id of its newest attempt; runs never claimed are absent. One indexed lookup per run. */
export function latestWorkers(db: Database, runIds: readonly string[]): Map<string, string> {
  const query = statement(db, "SELECT worker_id FROM attempts WHERE run_id = ? ORDER BY number DESC LIMIT 1").pluck();
  const found = new Map<string, string>();
  for (const id of runIds) {
    const worker = query.get(id) as string | undefined;
    if (worker !== undefined) found.set(id, worker);
  }
  return found;
}
