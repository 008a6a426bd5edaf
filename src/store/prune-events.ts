// Deleting old events with everything hanging off them (runs, attempts, output, results), a batch per transaction.
import { type Database, statement } from "./sqlite.js";

export interface PruneCounts {
  events: number;
  runs: number;
  attempts: number;
  outputChunks: number;
  results: number;
  /** Old enough, but kept: a run of theirs is still queued or running. */
  keptActive: number;
}

export interface PruneOptions {
  /** Events accepted before this time (ms since the epoch) go. */
  acceptedBefore: number;
  /** Events per transaction: keeps each commit's journal and lock short (default 500). */
  batch?: number;
  /** Called after each committed batch with the ids it deleted (their event files go next). */
  onDeleted?: (eventIds: string[]) => void;
}

/*
 * An event goes only with all of its runs, and only when none of them is queued or running: the
 * check and the deletes share one IMMEDIATE transaction, so no run can start or be replayed in
 * between, and no run is ever left without its event. Children before parents (foreign keys are on).
 */
export function pruneEvents(db: Database, options: PruneOptions): PruneCounts {
  const counts: PruneCounts = { events: 0, runs: 0, attempts: 0, outputChunks: 0, results: 0, keptActive: 0 };
  const batch = options.batch ?? 500;
  const candidates = statement(db, "SELECT seq, id FROM events WHERE seq > ? AND accepted_at < ? ORDER BY seq LIMIT ?");
  const active = statement(
    db,
    "SELECT 1 FROM runs WHERE event_id = ? AND status IN ('queued', 'running') LIMIT 1",
  ).pluck();
  const ofEvent = "SELECT id FROM runs WHERE event_id = ?";
  const deletes = {
    results: statement(db, `DELETE FROM results WHERE run_id IN (${ofEvent})`),
    outputChunks: statement(db, `DELETE FROM output_chunks WHERE run_id IN (${ofEvent})`),
    attempts: statement(db, `DELETE FROM attempts WHERE run_id IN (${ofEvent})`),
    runs: statement(db, "DELETE FROM runs WHERE event_id = ?"),
    events: statement(db, "DELETE FROM events WHERE id = ?"),
  } as const;
  const step = db.transaction((after: number) => {
    const rows = candidates.all(after, options.acceptedBefore, batch) as { seq: number; id: string }[];
    const deleted: string[] = [];
    for (const { id } of rows) {
      if (active.get(id) !== undefined) {
        counts.keptActive += 1;
        continue;
      }
      for (const [what, remove] of Object.entries(deletes))
        counts[what as keyof typeof deletes] += remove.run(id).changes;
      deleted.push(id);
    }
    return { last: rows.at(-1)?.seq, deleted };
  });
  let after = 0;
  for (;;) {
    const { last, deleted } = step.immediate(after);
    if (last === undefined) return counts;
    if (deleted.length > 0) options.onDeleted?.(deleted);
    after = last;
  }
}
