// Storing an accepted event with its queued runs: one run per matching step, the others with their reasons.
import type { FlowEvent } from "../../core/types.js";
import { contractProblems } from "../../schema/contracts.js";
import { eventIdProblem } from "../../wire/event-id.js";
import type { MutationCtx } from "./_generated/server.js";
import { planEvent } from "./match.js";
import { runIdFor } from "./tokens.js";

export interface Dispatched {
  eventId: string;
  runIds: string[];
  /** True when the event was stored before: nothing new was queued. */
  duplicate: boolean;
  skipped: { flow: string; step: string; reason: string }[];
}

/** Checks the FlowEvent shape as the local backend does; throws naming each bad field. */
export function checkEvent(value: unknown, where = "event"): FlowEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where}: an event must be a JSON object like {"id": "...", "type": "...", "payload": {...}}`);
  }
  const event = { ...(value as Record<string, unknown>) };
  event.receivedAt ??= new Date().toISOString();
  if (event.payload === undefined) event.payload = {};
  const problems = contractProblems("event", event);
  if (problems.length > 0) throw new Error(`${where}: not a valid FlowEvent: ${problems.join("; ")}`);
  const idProblem = eventIdProblem(event.id as string);
  if (idProblem) throw new Error(`${where}: id ${idProblem}`);
  return event as unknown as FlowEvent;
}

/** The runs of an event, oldest first (replays after the first dispatch's). */
export async function runIdsOf(ctx: MutationCtx, eventId: string): Promise<string[]> {
  const runs = await ctx.db
    .query("flowRuns")
    .withIndex("by_event", (q) => q.eq("eventId", eventId))
    .collect();
  return runs.map((run) => run.runId);
}

/** Queues one run per planned step for `eventId`. */
export async function queueRuns(
  ctx: MutationCtx,
  eventId: string,
  runs: { flow: string; step: string; runner: string; maxAttempts: number }[],
  replay: number,
  now: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (const run of runs) {
    const runId = await runIdFor(eventId, run.flow, run.step, replay);
    ids.push(runId);
    await ctx.db.insert("flowRuns", {
      runId,
      eventId,
      ...run,
      status: "queued",
      replay,
      attemptCount: 0,
      availableAt: now,
      cancelRequested: false,
      updatedAt: now,
    });
  }
  return ids;
}

/**
 * Stores the event and queues its runs. Idempotent by event id: a second dispatch of a stored id
 * returns that event's run ids and queues nothing.
 */
export async function dispatchEvent(
  ctx: MutationCtx,
  event: FlowEvent & { parentEventId?: string },
  depth: number,
  now: number,
): Promise<Dispatched> {
  const stored = await ctx.db
    .query("flowEvents")
    .withIndex("by_eventId", (q) => q.eq("eventId", event.id))
    .unique();
  if (stored) {
    return { eventId: event.id, runIds: await runIdsOf(ctx, event.id), duplicate: true, skipped: stored.skipped };
  }
  const manifests = await ctx.db.query("flowManifests").collect();
  const plan = planEvent(event, manifests);
  await ctx.db.insert("flowEvents", {
    eventId: event.id,
    type: event.type,
    body: JSON.stringify(event),
    ...(event.parentEventId ? { parentEventId: event.parentEventId } : {}),
    depth,
    replays: 0,
    skipped: plan.skipped,
    receivedAt: now,
  });
  const runIds = await queueRuns(ctx, event.id, plan.runs, 0, now);
  return { eventId: event.id, runIds, duplicate: false, skipped: plan.skipped };
}
