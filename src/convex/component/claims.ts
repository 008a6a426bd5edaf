// Making claims inside the lease mutations: a new attempt for the oldest run a worker can take, and a lost claim handed back.
import type { Infer } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { oldestClaimable } from "./claimable.js";
import { readSettings } from "./settings.js";
import { attemptIdFor, newLeaseToken } from "./tokens.js";
import type { claimRequest } from "./validators.js";

type ClaimRequest = Infer<typeof claimRequest>;

/** The protocol's claim for an open attempt of a run: what the worker needs to run it. */
async function claimOf(ctx: MutationCtx, run: Doc<"flowRuns">, attempt: Doc<"flowAttempts">, leaseMs: number) {
  const eventId = run.eventId;
  const event = await ctx.db
    .query("flowEvents")
    .withIndex("by_eventId", (q) => q.eq("eventId", eventId))
    .unique();
  const flowName = run.flow;
  const manifest = await ctx.db
    .query("flowManifests")
    .withIndex("by_name", (q) => q.eq("name", flowName))
    .unique();
  return {
    runId: run.runId,
    eventId: run.eventId,
    flow: run.flow,
    step: run.step,
    attemptId: attempt.attemptId,
    attemptNumber: attempt.number,
    maxAttempts: run.maxAttempts,
    leaseToken: attempt.leaseToken,
    leaseMs,
    leaseExpiresAt: attempt.leaseExpiresAt,
    event: event ? JSON.parse(event.body) : null,
    manifestHash: manifest?.manifestHash ?? null,
  };
}

/** The run's n-th attempt's id: derived (no shared counter), checked against a hash collision. */
async function freshAttemptId(ctx: MutationCtx, runId: string, attemptNumber: number): Promise<number> {
  for (let salt = 0; ; salt++) {
    const attemptId = await attemptIdFor(runId, attemptNumber, salt);
    const taken = await ctx.db
      .query("flowAttempts")
      .withIndex("by_attemptId", (q) => q.eq("attemptId", attemptId))
      .first();
    if (!taken) return attemptId;
  }
}

/**
 * Claims the oldest ready run the worker can run, under a new attempt whose lease a scheduled job
 * watches. `forAttempt`: the attempt whose `complete` asked for this claim, which remembers it.
 */
export async function claimNow(ctx: MutationCtx, request: ClaimRequest, forAttempt?: Id<"flowAttempts">) {
  const now = Date.now();
  const { leaseMs } = await readSettings(ctx);
  const run = await oldestClaimable(ctx, request.capabilities, request.exclude, now);
  if (!run) return null;
  const attemptNumber = run.attemptCount + 1;
  await ctx.db.patch(run._id, {
    status: "running",
    attemptCount: attemptNumber,
    startedAt: run.startedAt ?? now,
    updatedAt: now,
  });
  const attemptId = await freshAttemptId(ctx, run.runId, attemptNumber);
  const leaseExpiresAt = now + leaseMs;
  const attemptDoc = await ctx.db.insert("flowAttempts", {
    attemptId,
    runId: run._id,
    number: attemptNumber,
    workerId: request.workerId,
    leaseToken: newLeaseToken(),
    leaseExpiresAt,
    heartbeatAt: now,
    startedAt: now,
    status: "running",
    endedByWorker: false,
  });
  await ctx.scheduler.runAt(leaseExpiresAt, internal.lease.expireLease, { attemptId });
  if (forAttempt) await ctx.db.patch(forAttempt, { nextAttemptId: attemptId });
  const attempt = await ctx.db.get(attemptDoc);
  if (!attempt) throw new Error(`attempt ${attemptId} vanished inside its own claim`);
  return claimOf(ctx, { ...run, status: "running", attemptCount: attemptNumber }, attempt, leaseMs);
}

/**
 * The claim a completed attempt's `complete` made for the freed slot, for a resent `complete` (the
 * first answer was lost, and with it the claim): handed back, its lease renewed, while it is still
 * this worker's and unstarted as far as the control plane can tell (open, current, never heartbeated,
 * no output). Otherwise null: the worker claims as usual, and lease expiry frees a claim nobody has.
 */
export async function redeliveredClaim(ctx: MutationCtx, completed: Doc<"flowAttempts">, workerId: string) {
  const nextAttemptId = completed.nextAttemptId;
  if (nextAttemptId === undefined) return null;
  const next = await ctx.db
    .query("flowAttempts")
    .withIndex("by_attemptId", (q) => q.eq("attemptId", nextAttemptId))
    .unique();
  const now = Date.now();
  if (!next || next.finishedAt !== undefined || next.status !== "running" || next.workerId !== workerId) return null;
  if (next.leaseExpiresAt <= now || next.heartbeatAt !== next.startedAt) return null;
  const run = await ctx.db.get(next.runId);
  if (run?.status !== "running" || run.attemptCount !== next.number) return null;
  const output = await ctx.db
    .query("flowOutputEvents")
    .withIndex("by_attempt", (q) => q.eq("attemptId", nextAttemptId))
    .first();
  if (output) return null;
  const { leaseMs } = await readSettings(ctx);
  const leaseExpiresAt = now + leaseMs;
  await ctx.db.patch(next._id, { leaseExpiresAt });
  return claimOf(ctx, run, { ...next, leaseExpiresAt }, leaseMs);
}
