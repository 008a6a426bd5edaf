// Heartbeating: a worker extends its attempt's lease and learns whether the run was asked to cancel.
import { type Database, statement } from "./sqlite.js";

export interface HeartbeatInput {
  attemptId: number;
  leaseToken: string;
  leaseMs: number;
  now: number;
}

export interface HeartbeatOutcome {
  /** False when the lease is gone (expired and given up, or the attempt was finished elsewhere): stop the step. */
  held: boolean;
  cancelRequested: boolean;
}

export function heartbeat(db: Database, input: HeartbeatInput): HeartbeatOutcome {
  const updated = statement(
    db,
    `UPDATE attempts SET heartbeat_at = ?, lease_expires_at = ?
      WHERE id = ? AND lease_token = ? AND finished_at IS NULL RETURNING run_id`,
  ).get(input.now, input.now + input.leaseMs, input.attemptId, input.leaseToken) as { run_id: string } | undefined;
  if (!updated) return { held: false, cancelRequested: false };
  const run = statement(db, "SELECT cancel_requested FROM runs WHERE id = ?").get(updated.run_id) as {
    cancel_requested: number;
  };
  return { held: true, cancelRequested: run.cancel_requested === 1 };
}
