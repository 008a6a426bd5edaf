// Operating on runs: cancel (seen by the worker's next heartbeat) and retry (a new attempt for a finished run).
import { v } from "convex/values";
import { type MutationCtx, mutation } from "./_generated/server.js";

async function runOf(ctx: MutationCtx, runId: string, what: string) {
  const run = await ctx.db
    .query("flowRuns")
    .withIndex("by_runId", (q) => q.eq("runId", runId))
    .unique();
  if (!run) throw new Error(`${what}: no run "${runId}"; list runs with queries.listRuns`);
  return run;
}

/**
 * A queued run is canceled at once; a running one is asked to stop (its worker sees it on its next
 * heartbeat, kills the step and reports `canceled`); a finished run is left as it is.
 */
export const cancelRun = mutation({
  args: { runId: v.string() },
  handler: async (ctx, { runId }) => {
    const run = await runOf(ctx, runId, "cancelRun");
    const now = Date.now();
    if (run.status === "queued") {
      await ctx.db.patch(run._id, { status: "canceled", cancelRequested: true, finishedAt: now, updatedAt: now });
      return { runId, status: "canceled" as const };
    }
    if (run.status === "running") await ctx.db.patch(run._id, { cancelRequested: true, updatedAt: now });
    return { runId, status: run.status };
  },
});

/** One more attempt for a failed or canceled run, claimable at once. */
export const retryRun = mutation({
  args: { runId: v.string() },
  handler: async (ctx, { runId }) => {
    const run = await runOf(ctx, runId, "retryRun");
    if (run.status !== "failed" && run.status !== "canceled") {
      throw new Error(`retryRun: run "${runId}" is ${run.status}; only a failed or canceled run can be retried`);
    }
    const now = Date.now();
    await ctx.db.patch(run._id, {
      status: "queued",
      availableAt: now,
      cancelRequested: false,
      maxAttempts: run.attemptCount + 1,
      finishedAt: undefined,
      updatedAt: now,
    });
    return { runId, status: "queued" as const, attemptNumber: run.attemptCount + 1 };
  },
});
