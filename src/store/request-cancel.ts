// Asking a run to stop: a queued run is canceled at once; a running one is flagged for its worker to kill.

import type { RunRecord } from "../wire/records.js";
import { findRun } from "./get-run.js";
import { type Database, statement } from "./sqlite.js";

export interface CancelOutcome {
  /** `canceled`: it was queued and is now canceled; `requested`: its worker must stop it; `finished`: too late. */
  outcome: "canceled" | "requested" | "finished";
  run: RunRecord;
}

export function requestCancel(db: Database, runId: string, now: number): CancelOutcome | undefined {
  return db
    .transaction((): CancelOutcome | undefined => {
      const before = findRun(db, runId);
      if (!before) return undefined;
      if (before.status === "queued") {
        statement(
          db,
          `UPDATE runs SET status = 'canceled', cancel_requested = 1, error = 'canceled before it started',
            finished_at = ?, updated_at = ? WHERE id = ?`,
        ).run(now, now, runId);
        return { outcome: "canceled", run: findRun(db, runId) as RunRecord };
      }
      if (before.status === "running") {
        statement(db, "UPDATE runs SET cancel_requested = 1, updated_at = ? WHERE id = ?").run(now, runId);
        return { outcome: "requested", run: findRun(db, runId) as RunRecord };
      }
      return { outcome: "finished", run: before };
    })
    .immediate();
}
