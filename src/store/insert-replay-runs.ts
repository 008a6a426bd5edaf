// Replaying a stored event: a new numbered set of queued runs for the steps that match it now.
import { insertRuns, type PlannedRun } from "./insert-event.js";
import { type Database, statement } from "./sqlite.js";

export interface ReplayOutcome {
  eventId: string;
  /** 1 for the first replay of the event, 2 for the second, ... */
  replay: number;
  runIds: string[];
}

/** Adds the replay's runs; undefined when no event has that id. */
export function insertReplayRuns(
  db: Database,
  eventId: string,
  runs: PlannedRun[],
  now: number,
): ReplayOutcome | undefined {
  return db.transaction((): ReplayOutcome | undefined => {
    const row = statement(db, "UPDATE events SET replays = replays + 1 WHERE id = ? RETURNING replays").get(eventId) as
      | { replays: number }
      | undefined;
    if (!row) return undefined;
    return { eventId, replay: row.replays, runIds: insertRuns(db, eventId, runs, row.replays, now) };
  })();
}
