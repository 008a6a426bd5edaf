// Reading the control plane: events, runs by event or status, one run with its attempts, output and result.
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { type QueryCtx, query } from "./_generated/server.js";
import { runStatus } from "./schema.js";

const DEFAULT_LIMIT = 50;

function eventView(row: Doc<"flowEvents">) {
  return {
    eventId: row.eventId,
    type: row.type,
    event: JSON.parse(row.body) as unknown,
    parentEventId: row.parentEventId ?? null,
    depth: row.depth,
    replays: row.replays,
    skipped: row.skipped,
    receivedAt: row.receivedAt,
  };
}

function runView(row: Doc<"flowRuns">) {
  const { _id, _creationTime, ...rest } = row;
  return { createdAt: _creationTime, ...rest };
}

function runByPublicId(ctx: QueryCtx, runId: string) {
  return ctx.db
    .query("flowRuns")
    .withIndex("by_runId", (q) => q.eq("runId", runId))
    .unique();
}

/** Newest first. */
export const listEvents = query({
  args: { limit: v.optional(v.number()) },
  handler: async (ctx, { limit }) => {
    const rows = await ctx.db
      .query("flowEvents")
      .order("desc")
      .take(limit ?? DEFAULT_LIMIT);
    return rows.map(eventView);
  },
});

/** One event with its runs, or null. */
export const getEvent = query({
  args: { eventId: v.string() },
  handler: async (ctx, { eventId }) => {
    const row = await ctx.db
      .query("flowEvents")
      .withIndex("by_eventId", (q) => q.eq("eventId", eventId))
      .unique();
    if (!row) return null;
    const runs = await ctx.db
      .query("flowRuns")
      .withIndex("by_event", (q) => q.eq("eventId", eventId))
      .collect();
    return { ...eventView(row), runs: runs.map(runView) };
  },
});

/** Runs of one event or of one status (or all), newest first. */
export const listRuns = query({
  args: { eventId: v.optional(v.string()), status: v.optional(runStatus), limit: v.optional(v.number()) },
  handler: async (ctx, { eventId, status, limit }) => {
    const take = limit ?? DEFAULT_LIMIT;
    let rows: Doc<"flowRuns">[];
    if (eventId !== undefined) {
      rows = (
        await ctx.db
          .query("flowRuns")
          .withIndex("by_event", (q) => q.eq("eventId", eventId))
          .order("desc")
          .collect()
      ).filter((run) => status === undefined || run.status === status);
      rows = rows.slice(0, take);
    } else if (status !== undefined) {
      rows = await ctx.db
        .query("flowRuns")
        .withIndex("by_status", (q) => q.eq("status", status))
        .order("desc")
        .take(take);
    } else {
      rows = await ctx.db.query("flowRuns").order("desc").take(take);
    }
    return rows.map(runView);
  },
});

async function outputOf(ctx: QueryCtx, attempts: Doc<"flowAttempts">[], after?: { attemptId: number; index: number }) {
  const chunks = [];
  // Attempts come in order of their number; ids are derived (not increasing), so the one `after`
  // names is found by id and the earlier ones are skipped. An unknown id reads from the start.
  const from = after ? attempts.findIndex((attempt) => attempt.attemptId === after.attemptId) : -1;
  for (const [position, attempt] of attempts.entries()) {
    if (position < from) continue;
    const rows = await ctx.db
      .query("flowOutputEvents")
      .withIndex("by_attempt", (q) =>
        after && attempt.attemptId === after.attemptId
          ? q.eq("attemptId", attempt.attemptId).gt("index", after.index)
          : q.eq("attemptId", attempt.attemptId),
      )
      .collect();
    for (const row of rows) {
      chunks.push({ attemptId: row.attemptId, index: row.index, stream: row.stream, text: row.text, at: row.at });
    }
  }
  return chunks;
}

/** One run with its attempts (oldest first), its output in order, and its latest FLOW_RESULT; null when unknown. */
export const getRun = query({
  args: { runId: v.string() },
  handler: async (ctx, { runId }) => {
    const run = await runByPublicId(ctx, runId);
    if (!run) return null;
    const attempts = await ctx.db
      .query("flowAttempts")
      .withIndex("by_run", (q) => q.eq("runId", run._id))
      .collect();
    const results = await ctx.db
      .query("flowResults")
      .withIndex("by_run", (q) => q.eq("runId", run._id))
      .collect();
    return {
      ...runView(run),
      result: (() => {
        const last = results.at(-1);
        return last ? (JSON.parse(last.result) as unknown) : null;
      })(),
      attempts: attempts.map((attempt) => ({
        attemptId: attempt.attemptId,
        number: attempt.number,
        workerId: attempt.workerId,
        status: attempt.status,
        error: attempt.error ?? null,
        startedAt: attempt.startedAt,
        finishedAt: attempt.finishedAt ?? null,
        leaseExpiresAt: attempt.leaseExpiresAt,
      })),
      output: await outputOf(ctx, attempts),
    };
  },
});

/**
 * A run's output after a position, for a live view: pass the last chunk's `{attemptId, index}` to get
 * only newer chunks, in order (a reactive query re-runs as chunks arrive).
 */
export const readOutput = query({
  args: { runId: v.string(), after: v.optional(v.object({ attemptId: v.number(), index: v.number() })) },
  handler: async (ctx, { runId, after }) => {
    const run = await runByPublicId(ctx, runId);
    if (!run) return [];
    const attempts = await ctx.db
      .query("flowAttempts")
      .withIndex("by_run", (q) => q.eq("runId", run._id))
      .collect();
    return outputOf(ctx, attempts, after);
  },
});
