// Recording an attempt's end in one commit: its result, the run's new status and its next events.
import type { FlowEvent } from "../../core/types.js";
import { appendOutput } from "../../store/append-output.js";
import { type CompleteRunOutcome, completeRun } from "../../store/complete-run.js";
import { type InsertEventOutcome, insertEvent } from "../../store/insert-event.js";
import { type Database, withSynchronous } from "../../store/sqlite.js";
import type { AttemptOutcome, AttemptRef, OutputChunkInput } from "../../wire/protocol.js";
import type { ChainPlan } from "./chained-events.js";

export type AttemptSettled = CompleteRunOutcome & {
  /** The next events stored with the completion (only when the run completed). */
  chained: { event: FlowEvent; outcome: InsertEventOutcome }[];
};

/**
 * Worker bookkeeping commits without fsync (synchronous=NORMAL): at ~1.5 ms per fsync under load,
 * three per run cost a fifth of the throughput of no-op runs (bench P5). A machine crash may lose the
 * newest transitions; the run is then recovered as interrupted, never lost, and its next events go
 * with its completion, never one without the other. Events posted over HTTP stay fully synced.
 */
export function settleAttempt(
  db: Database,
  input: {
    attempt: AttemptRef;
    outcome: AttemptOutcome;
    /** The attempt's last output chunks, stored in the same commit, before the result. */
    output: OutputChunkInput[];
    chain: ChainPlan;
    retryDelayMs: (failedAttempt: number) => number;
  },
): AttemptSettled {
  const { attempt, outcome, chain } = input;
  return withSynchronous(db, "NORMAL", () =>
    db.transaction((): AttemptSettled => {
      const now = Date.now();
      if (input.output.length > 0) appendOutput(db, { ...attempt, chunks: input.output });
      const completed = completeRun(db, {
        attemptId: attempt.attemptId,
        leaseToken: attempt.leaseToken,
        outcome,
        now,
        retryDelayMs: input.retryDelayMs,
      });
      if (completed.kind !== "settled" || completed.settlement.status !== "completed") {
        return { ...completed, chained: [] };
      }
      const chained = chain.events.map((next) => ({ event: next.event, outcome: insertEvent(db, { ...next, now }) }));
      return { ...completed, chained };
    })(),
  );
}
