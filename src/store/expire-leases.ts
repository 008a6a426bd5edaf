// Recovering lost work: open attempts whose lease expired (or whose worker is known dead) become `interrupted`.
import { type RunSettlement, settleRun } from "./complete-run.js";
import { type Database, statement } from "./sqlite.js";

export interface ExpireLeasesInput {
  now: number;
  /** Why, for the run's error: "interrupted: <reason>" (a function gets the attempt's worker id). */
  reason: string | ((workerId: string) => string);
  /** Also interrupt open attempts of these workers, whatever their lease says (a crashed local service). */
  deadWorker?: (workerId: string) => boolean;
  /**
   * Attempts the caller is running right now and heartbeats itself: never expired, whatever their
   * lease says. A service that was paused (SIGSTOP, a suspended laptop) wakes with its own leases
   * run out; interrupting them would start a second copy of a step that is still running.
   */
  liveAttempts?: ReadonlySet<number>;
  /** Interrupt only attempts of `deadWorker`s, not others whose lease ran out. */
  onlyDeadWorkers?: boolean;
  retryDelayMs: (failedAttempt: number) => number;
}

export interface ExpiredAttempt extends RunSettlement {
  attemptId: number;
  workerId: string;
}

interface OpenAttempt {
  id: number;
  run_id: string;
  worker_id: string;
  lease_expires_at: number;
}

/**
 * Interrupts every open attempt whose lease ran out (or whose worker `deadWorker` names) and moves its
 * run on: back to `queued` with backoff when the step has retries left, else `failed` with an
 * "interrupted" error. Nothing stays `running` past its lease.
 */
export function expireLeases(db: Database, input: ExpireLeasesInput): ExpiredAttempt[] {
  return db
    .transaction((): ExpiredAttempt[] => {
      const open = statement(
        db,
        "SELECT id, run_id, worker_id, lease_expires_at FROM attempts WHERE finished_at IS NULL",
      ).all() as OpenAttempt[];
      const expired: ExpiredAttempt[] = [];
      for (const attempt of open) {
        if (input.liveAttempts?.has(attempt.id)) continue;
        const dead = input.deadWorker?.(attempt.worker_id) === true;
        if (!dead && (input.onlyDeadWorkers || attempt.lease_expires_at > input.now)) continue;
        const reason = typeof input.reason === "string" ? input.reason : input.reason(attempt.worker_id);
        const error = `interrupted: ${reason}`;
        statement(db, "UPDATE attempts SET status = 'interrupted', error = ?, finished_at = ? WHERE id = ?").run(
          error,
          input.now,
          attempt.id,
        );
        const settlement = settleRun(db, {
          runId: attempt.run_id,
          attemptStatus: "interrupted",
          result: null,
          error,
          now: input.now,
          retryDelayMs: input.retryDelayMs,
        });
        expired.push({ ...settlement, attemptId: attempt.id, workerId: attempt.worker_id });
      }
      return expired;
    })
    .immediate();
}
