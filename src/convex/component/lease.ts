// The lease protocol's functions: claim, heartbeat, appendOutput, complete, fenced by the lease token; and lease expiry.
import type { Infer } from "convex/values";
import { ConvexError, v } from "convex/values";
import type { FlowResult } from "../../core/types.js";
import { contractProblems } from "../../schema/contracts.js";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, type MutationCtx, mutation, query } from "./_generated/server.js";
import { fireNextEvents } from "./chain.js";
import { oldestClaimable } from "./claimable.js";
import { claimNow, redeliveredClaim } from "./claims.js";
import { readSettings } from "./settings.js";
import { type Settlement, settleRun } from "./settle.js";
import { attemptRef, claimRequest, outcome, outputChunk } from "./validators.js";

type OutputChunk = Infer<typeof outputChunk>;

/** A refused token: the transport turns it into LeaseLostError (nothing was changed). */
const LOST = { lost: true } as const;

/** A call that cannot succeed if sent again (the transport's CallRefusedError); nothing is changed. */
function refuse(message: string): never {
  throw new ConvexError({ code: "refused", message });
}

/** Chunk positions are whole numbers from 0 and times are milliseconds since the epoch, or the run is unreadable. */
function checkChunks(chunks: OutputChunk[], field: string): void {
  chunks.forEach((chunk, index) => {
    if (!Number.isSafeInteger(chunk.index) || chunk.index < 0) {
      refuse(`"${field}[${index}].index" must be a whole number from 0, got ${chunk.index}`);
    }
    if (!Number.isFinite(chunk.at) || chunk.at < 0 || chunk.at > 8.64e15) {
      refuse(`"${field}[${index}].at" must be a time in milliseconds since the epoch, got ${chunk.at}`);
    }
  });
}

/** The open attempt this token holds, or null. */
async function heldAttempt(ctx: MutationCtx, attemptId: number, leaseToken: string) {
  const attempt = await ctx.db
    .query("flowAttempts")
    .withIndex("by_attemptId", (q) => q.eq("attemptId", attemptId))
    .unique();
  if (!attempt || attempt.leaseToken !== leaseToken || attempt.finishedAt !== undefined) return null;
  return attempt;
}

/** The oldest ready run this worker can run, or null. Never waits: the transport polls `nextReadyAt`. */
export const claim = mutation({
  args: claimRequest,
  handler: (ctx, request) => claimNow(ctx, request),
});

/**
 * When a waiting claim should look again: 0 when a run this worker can take is ready now, else the
 * earliest time one becomes ready (a retry's backoff), else null. A query, so waiting costs no writes.
 */
export const nextReadyAt = query({
  args: { capabilities: claimRequest.fields.capabilities, exclude: v.optional(v.array(v.string())) },
  handler: async (ctx, { capabilities, exclude }) => {
    const run = await oldestClaimable(ctx, capabilities, exclude);
    return run ? run.availableAt : null;
  },
});

export const heartbeat = mutation({
  args: attemptRef,
  handler: async (ctx, { attemptId, leaseToken }) => {
    const attempt = await heldAttempt(ctx, attemptId, leaseToken);
    if (!attempt) return LOST;
    const now = Date.now();
    const { leaseMs } = await readSettings(ctx);
    const leaseExpiresAt = now + leaseMs;
    await ctx.db.patch(attempt._id, { heartbeatAt: now, leaseExpiresAt });
    const run = await ctx.db.get(attempt.runId);
    return { lost: false as const, leaseExpiresAt, cancelRequested: run?.cancelRequested ?? false };
  },
});

async function storeOutput(ctx: MutationCtx, attempt: Doc<"flowAttempts">, chunks: OutputChunk[]): Promise<number> {
  let stored = 0;
  for (const chunk of chunks) {
    const known = await ctx.db
      .query("flowOutputEvents")
      .withIndex("by_attempt", (q) => q.eq("attemptId", attempt.attemptId).eq("index", chunk.index))
      .first();
    if (known) continue;
    await ctx.db.insert("flowOutputEvents", { runId: attempt.runId, attemptId: attempt.attemptId, ...chunk });
    stored += 1;
  }
  return stored;
}

export const appendOutput = mutation({
  args: { ...attemptRef, chunks: v.array(outputChunk) },
  handler: async (ctx, { attemptId, leaseToken, chunks }) => {
    const attempt = await heldAttempt(ctx, attemptId, leaseToken);
    if (!attempt) return LOST;
    checkChunks(chunks, "chunks");
    return { lost: false as const, stored: await storeOutput(ctx, attempt, chunks) };
  },
});

/** The answer to a resent complete: what this attempt's end did to the run. */
async function earlierCompletion(ctx: MutationCtx, attemptId: number, leaseToken: string) {
  const attempt = await ctx.db
    .query("flowAttempts")
    .withIndex("by_attemptId", (q) => q.eq("attemptId", attemptId))
    .unique();
  if (!attempt || attempt.leaseToken !== leaseToken || !attempt.endedByWorker) return null;
  const run = await ctx.db.get(attempt.runId);
  if (!run) return null;
  // The run has moved on to another attempt since: for this attempt's worker, its end queued a retry.
  const retried = run.status === "queued" || run.status === "running";
  const settlement: Settlement = { runId: run.runId, status: retried ? "queued" : run.status, retrying: retried };
  return { attempt, settlement };
}

/**
 * Records the attempt's end in one mutation: its last output, its FLOW_RESULT, the run's new status
 * (a retry with backoff where the step allows) and, when it completed, its next events.
 */
export const complete = mutation({
  args: { ...attemptRef, outcome, output: v.optional(v.array(outputChunk)), claimNext: v.optional(claimRequest) },
  handler: async (ctx, { attemptId, leaseToken, outcome, output, claimNext }) => {
    const attempt = await heldAttempt(ctx, attemptId, leaseToken);
    if (!attempt) {
      const earlier = await earlierCompletion(ctx, attemptId, leaseToken);
      if (!earlier) return LOST;
      const next = claimNext ? await redeliveredClaim(ctx, earlier.attempt, claimNext.workerId) : null;
      return { lost: false as const, ...earlier.settlement, duplicate: true, next };
    }
    const result = outcome.result as FlowResult | null;
    if (result !== null) {
      const problems = contractProblems("result", result);
      if (problems.length > 0) refuse(`"outcome.result" is not a valid FLOW_RESULT: ${problems.join("; ")}`);
    }
    if (output) checkChunks(output, "output");
    const now = Date.now();
    if (output?.length) await storeOutput(ctx, attempt, output);
    await ctx.db.patch(attempt._id, {
      status: outcome.status,
      error: outcome.error ?? undefined,
      finishedAt: now,
      endedByWorker: true,
    });
    if (result) {
      await ctx.db.insert("flowResults", {
        runId: attempt.runId,
        attemptId,
        status: result.status,
        result: JSON.stringify(result),
        at: now,
      });
    }
    const settlement = await settleRun(ctx, {
      runId: attempt.runId,
      attemptStatus: outcome.status,
      resultStatus: result?.status,
      error: outcome.error ?? undefined,
      now,
    });
    if (settlement.status === "completed") {
      const run = await ctx.db.get(attempt.runId);
      if (run) {
        const chained = await fireNextEvents(ctx, run, result, now);
        if (chained.warnings.length > 0) await ctx.db.patch(run._id, { chainWarnings: chained.warnings });
      }
    }
    const next = claimNext ? await claimNow(ctx, claimNext, attempt._id) : null;
    return { lost: false as const, ...settlement, duplicate: false, next };
  },
});

/**
 * The lease watchdog, scheduled at each claim for the lease's end: a renewed lease is watched again at
 * its new end; a lapsed one interrupts the attempt and moves the run on (retry with backoff, or failed).
 */
export const expireLease = internalMutation({
  args: { attemptId: v.number() },
  handler: async (ctx, { attemptId }) => {
    const attempt = await ctx.db
      .query("flowAttempts")
      .withIndex("by_attemptId", (q) => q.eq("attemptId", attemptId))
      .unique();
    if (!attempt || attempt.finishedAt !== undefined) return null;
    const now = Date.now();
    if (attempt.leaseExpiresAt > now) {
      await ctx.scheduler.runAt(attempt.leaseExpiresAt, internal.lease.expireLease, { attemptId });
      return null;
    }
    const error = `interrupted: worker ${attempt.workerId} stopped heartbeating`;
    await ctx.db.patch(attempt._id, { status: "interrupted", error, finishedAt: now });
    return await settleRun(ctx, { runId: attempt.runId, attemptStatus: "interrupted", error, now });
  },
});
