// Completing an attempt: record its result, then finish the run or, when a failed step has retries left, requeue it.
import type { FlowResult } from "../core/types.js";
import type { AttemptOutcome } from "../wire/protocol.js";
import type { AttemptStatus, RunStatus } from "../wire/records.js";
import { type Database, statement } from "./sqlite.js";

export interface CompleteRunInput {
  attemptId: number;
  leaseToken: string;
  outcome: AttemptOutcome;
  now: number;
  /** The backoff before a retry, given the number of the attempt that just failed. */
  retryDelayMs: (failedAttempt: number) => number;
}

export interface RunSettlement {
  runId: string;
  status: RunStatus;
  /** True when the run went back to `queued` for another attempt. */
  retrying: boolean;
}

export type CompleteRunOutcome =
  | { kind: "settled"; settlement: RunSettlement }
  /** This token completed the attempt before (a resent complete): nothing changes. */
  | { kind: "duplicate"; settlement: RunSettlement }
  /** The token no longer holds the attempt (expired, interrupted, someone else's): nothing changes. */
  | { kind: "lost" };

interface SettleInput {
  runId: string;
  attemptStatus: AttemptStatus;
  result: FlowResult | null;
  error: string | null;
  now: number;
  retryDelayMs: (failedAttempt: number) => number;
}

/**
 * Moves a run on after one of its attempts ended. A failed or interrupted attempt is retried while
 * attempts remain and nobody asked to cancel; everything else is final.
 */
export function settleRun(db: Database, input: SettleInput): RunSettlement {
  const run = statement(db, "SELECT attempt_count, max_attempts, cancel_requested FROM runs WHERE id = ?").get(
    input.runId,
  ) as { attempt_count: number; max_attempts: number; cancel_requested: number };
  const failed = input.attemptStatus === "failed" || input.attemptStatus === "interrupted";
  const canceled = input.attemptStatus === "canceled" || (failed && run.cancel_requested === 1);
  if (failed && !canceled && run.attempt_count < run.max_attempts) {
    statement(db, "UPDATE runs SET status = 'queued', available_at = ?, error = ?, updated_at = ? WHERE id = ?").run(
      input.now + input.retryDelayMs(run.attempt_count),
      input.error,
      input.now,
      input.runId,
    );
    return { runId: input.runId, status: "queued", retrying: true };
  }
  const status: RunStatus = canceled ? "canceled" : failed ? "failed" : "completed";
  statement(
    db,
    `UPDATE runs SET status = ?, result_status = ?, result = ?, error = ?, finished_at = ?, updated_at = ?
      WHERE id = ?`,
  ).run(
    status,
    input.result?.status ?? null,
    input.result === null ? null : JSON.stringify(input.result),
    input.error,
    input.now,
    input.now,
    input.runId,
  );
  return { runId: input.runId, status, retrying: false };
}

/**
 * Completes the attempt if the caller still holds its lease. The same worker's second complete (its
 * first answer was lost on the way) is a duplicate; a complete after the lease expired is refused.
 */
export function completeRun(db: Database, input: CompleteRunInput): CompleteRunOutcome {
  const { outcome, now } = input;
  return db
    .transaction((): CompleteRunOutcome => {
      const attempt = statement(
        db,
        `UPDATE attempts SET status = ?, error = ?, finished_at = ?, ended_by_worker = 1
          WHERE id = ? AND lease_token = ? AND finished_at IS NULL RETURNING run_id`,
      ).get(outcome.status, outcome.error, now, input.attemptId, input.leaseToken) as { run_id: string } | undefined;
      if (!attempt) return earlierCompletion(db, input);
      if (outcome.result) {
        statement(db, "INSERT INTO results (attempt_id, run_id, status, result, at) VALUES (?, ?, ?, ?, ?)").run(
          input.attemptId,
          attempt.run_id,
          outcome.result.status,
          JSON.stringify(outcome.result),
          now,
        );
      }
      const settlement = settleRun(db, {
        runId: attempt.run_id,
        attemptStatus: outcome.status,
        result: outcome.result,
        error: outcome.error,
        now,
        retryDelayMs: input.retryDelayMs,
      });
      return { kind: "settled", settlement };
    })
    .immediate();
}

function earlierCompletion(db: Database, input: CompleteRunInput): CompleteRunOutcome {
  const row = statement(
    db,
    `SELECT runs.id, runs.status FROM attempts JOIN runs ON runs.id = attempts.run_id
      WHERE attempts.id = ? AND attempts.lease_token = ? AND attempts.ended_by_worker = 1`,
  ).get(input.attemptId, input.leaseToken) as { id: string; status: RunStatus } | undefined;
  if (!row) return { kind: "lost" };
  // The run has moved on to another attempt since (it is queued or running again): for this attempt's
  // worker, its end queued a retry.
  const retried = row.status === "queued" || row.status === "running";
  return {
    kind: "duplicate",
    settlement: { runId: row.id, status: retried ? "queued" : row.status, retrying: retried },
  };
}
