// Moving a run on after one of its attempts ended: a retry with backoff, or its final status.
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { readSettings, retryDelay } from "./settings.js";

export type RunStatus = Doc<"flowRuns">["status"];
export type AttemptStatus = Doc<"flowAttempts">["status"];

export interface Settlement {
  /** The run's public id (`run_...`). */
  runId: string;
  status: RunStatus;
  /** True when the run went back to `queued` for another attempt. */
  retrying: boolean;
}

/**
 * A failed or interrupted attempt is retried while attempts remain and nobody asked to cancel, after
 * the backoff (base, 2x, 4x, ... capped at five minutes); everything else is final.
 */
export async function settleRun(
  ctx: MutationCtx,
  input: {
    runId: Id<"flowRuns">;
    attemptStatus: AttemptStatus;
    resultStatus?: string;
    error?: string;
    now: number;
  },
): Promise<Settlement> {
  const run = await ctx.db.get(input.runId);
  if (!run) throw new Error(`run ${input.runId} is gone`);
  const failed = input.attemptStatus === "failed" || input.attemptStatus === "interrupted";
  const canceled = input.attemptStatus === "canceled" || (failed && run.cancelRequested);
  if (failed && !canceled && run.attemptCount < run.maxAttempts) {
    const { retryBackoffMs } = await readSettings(ctx);
    await ctx.db.patch(run._id, {
      status: "queued",
      availableAt: input.now + retryDelay(retryBackoffMs, run.attemptCount),
      error: input.error,
      updatedAt: input.now,
    });
    return { runId: run.runId, status: "queued", retrying: true };
  }
  const status: RunStatus = canceled ? "canceled" : failed ? "failed" : "completed";
  await ctx.db.patch(run._id, {
    status,
    resultStatus: input.resultStatus,
    error: input.error,
    finishedAt: input.now,
    updatedAt: input.now,
  });
  return { runId: run.runId, status, retrying: false };
}
