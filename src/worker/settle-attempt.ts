// Recording an attempt's end in one commit: its last output, its result, the run's new status and its next events.

import type { OutputBuffer } from "../backend/output-buffer.js";
import type { FlowEvent } from "../core/types.js";
import type { Claim } from "../store/claim-run.js";
import { type AttemptOutcome, completeRun, type RunSettlement } from "../store/complete-run.js";
import { type InsertEventOutcome, insertEvent } from "../store/insert-event.js";
import { type Database, withSynchronous } from "../store/sqlite.js";
import type { ChainPlan } from "./chained-events.js";

export interface AttemptSettled {
  settlement: RunSettlement;
  /** The next events stored with the completion (only when the run completed). */
  chained: { event: FlowEvent; outcome: InsertEventOutcome }[];
}

/**
 * Undefined when the lease was lost (someone else owns the run now; nothing is written but output).
 * Worker bookkeeping commits without fsync (synchronous=NORMAL): at ~1.5 ms per fsync under load,
 * three per run cost a fifth of the throughput of no-op runs (bench P5). A machine crash may lose the
 * newest transitions; the run is then recovered as interrupted, never lost, and its next events go
 * with its completion, never one without the other. Events posted over HTTP stay fully synced.
 */
export function settleAttempt(
  db: Database,
  output: OutputBuffer,
  input: {
    claim: Claim;
    outcome: AttemptOutcome;
    chain: ChainPlan;
    retryDelayMs: (failedAttempt: number) => number;
  },
): AttemptSettled | undefined {
  const { claim, outcome, chain } = input;
  return withSynchronous(db, "NORMAL", () =>
    db.transaction((): AttemptSettled | undefined => {
      output.flush();
      const now = Date.now();
      const settlement = completeRun(db, {
        attemptId: claim.attemptId,
        leaseToken: claim.leaseToken,
        outcome,
        now,
        retryDelayMs: input.retryDelayMs,
      });
      if (!settlement) return undefined;
      const chained =
        settlement.status === "completed"
          ? chain.events.map((next) => ({ event: next.event, outcome: insertEvent(db, { ...next, now }) }))
          : [];
      return { settlement, chained };
    })(),
  );
}
