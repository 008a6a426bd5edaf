// Heartbeating: a worker extends its attempt's lease and learns whether the run was asked to cancel.
import { type Database, statement } from "./sqlite.js";

export interface HeartbeatInput {
  attemptId: number;
  leaseToken: string;
  leaseMs: number;
  now: number;
}

/** Undefined when the lease is gone (expired and given up, or the attempt finished): stop the step. */
export function heartbeat(
  db: Database,
  input: HeartbeatInput,
): { leaseExpiresAt: number; cancelRequested: boolean } | undefined {
  const leaseExpiresAt = input.now + input.leaseMs;
  const updated = statement(
    db,
    `UPDATE attempts SET heartbeat_at = ?, lease_expires_at = ?
      WHERE id = ? AND lease_token = ? AND finished_at IS NULL RETURNING run_id`,
  ).get(input.now, leaseExpiresAt, input.attemptId, input.leaseToken) as { run_id: string } | undefined;
  if (!updated) return undefined;
  const run = statement(db, "SELECT cancel_requested FROM runs WHERE id = ?").get(updated.run_id) as {
    cancel_requested: number;
  };
  return { leaseExpiresAt, cancelRequested: run.cancel_requested === 1 };
}
