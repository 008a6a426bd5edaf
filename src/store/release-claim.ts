// Undoing a claim whose answer never reached the worker: the attempt is removed and the run is queued as before.
import { type Database, statement } from "./sqlite.js";

/**
 * The run id, or undefined when the attempt is not open under that token any more, or its lease was
 * renewed since the claim was made (nothing changes then): a renewed lease means the claim did reach
 * its worker after all, by a heartbeat or by a resent `complete` that got the same claim back.
 */
export function releaseClaim(
  db: Database,
  attemptId: number,
  leaseToken: string,
  leaseExpiresAt: number,
): string | undefined {
  return db
    .transaction((): string | undefined => {
      const removed = statement(
        db,
        `DELETE FROM attempts WHERE id = ? AND lease_token = ? AND lease_expires_at = ? AND finished_at IS NULL
          RETURNING run_id`,
      ).get(attemptId, leaseToken, leaseExpiresAt) as { run_id: string } | undefined;
      if (!removed) return undefined;
      statement(
        db,
        `UPDATE runs SET status = 'queued', attempt_count = attempt_count - 1,
          started_at = CASE WHEN attempt_count = 1 THEN NULL ELSE started_at END, updated_at = ?
          WHERE id = ? AND status = 'running'`,
      ).run(Date.now(), removed.run_id);
      return removed.run_id;
    })
    .immediate();
}
