// A resent `complete` (its answer was lost): the run its first `complete` claimed for the freed slot, handed back while unstarted.
import type { FlowEvent } from "../core/types.js";
import type { StoredClaim } from "./claim-run.js";
import { type Database, statement } from "./sqlite.js";

export interface RedeliverInput {
  /** The completed attempt whose `complete` is being resent, and its token. */
  attemptId: number;
  leaseToken: string;
  /** The worker asking (the resend's `claimNext.workerId`): a claim is only ever handed back to its holder. */
  workerId: string;
  leaseMs: number;
  now: number;
}

interface Row {
  id: number;
  run_id: string;
  number: number;
  lease_token: string;
  event_id: string;
  flow: string;
  step: string;
  replay: number;
  max_attempts: number;
  body: string;
  depth: number;
}

/**
 * The first `complete` claimed a run and its answer, with that claim, was lost: without this the run
 * stays claimed by nobody until its lease ends. Handed back (its lease renewed) only while the claim
 * is the run's current attempt, open, this worker's, never heartbeated and without output: as far as
 * the store can tell nobody started it. Undefined otherwise (and nothing changes).
 */
export function redeliverClaim(db: Database, input: RedeliverInput): StoredClaim | undefined {
  return db
    .transaction((): StoredClaim | undefined => {
      const row = statement(
        db,
        `SELECT next.id, next.run_id, next.number, next.lease_token, runs.event_id, runs.flow, runs.step, runs.replay,
            runs.max_attempts, events.body, events.depth
          FROM attempts AS done
          JOIN attempts AS next ON next.id = done.next_attempt_id
          JOIN runs ON runs.id = next.run_id JOIN events ON events.id = runs.event_id
          WHERE done.id = ? AND done.lease_token = ? AND done.ended_by_worker = 1
            AND next.finished_at IS NULL AND next.status = 'running' AND next.worker_id = ?
            AND next.lease_expires_at > ? AND next.heartbeat_at = next.started_at
            AND runs.status = 'running' AND runs.attempt_count = next.number
            AND NOT EXISTS (SELECT 1 FROM output_chunks WHERE output_chunks.attempt_id = next.id)`,
      ).get(input.attemptId, input.leaseToken, input.workerId, input.now) as Row | undefined;
      if (!row) return undefined;
      const leaseExpiresAt = input.now + input.leaseMs;
      statement(db, "UPDATE attempts SET lease_expires_at = ? WHERE id = ?").run(leaseExpiresAt, row.id);
      return {
        runId: row.run_id,
        eventId: row.event_id,
        flow: row.flow,
        step: row.step,
        replay: row.replay,
        attemptId: row.id,
        attemptNumber: row.number,
        maxAttempts: row.max_attempts,
        leaseToken: row.lease_token,
        leaseMs: input.leaseMs,
        leaseExpiresAt,
        event: JSON.parse(row.body) as FlowEvent,
        eventDepth: row.depth,
      };
    })
    .immediate();
}
