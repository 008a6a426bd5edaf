// Intake: syncing manifests, firing events (idempotent by id), replaying them, and the control plane's settings.
import { v } from "convex/values";
import { mutation } from "./_generated/server.js";
import { checkEvent, dispatchEvent, queueRuns, runIdsOf } from "./dispatch.js";
import { planEvent } from "./match.js";
import { syncedStep } from "./schema.js";

/** Lease length and retry backoff for every later claim and failure. */
export const configure = mutation({
  args: { leaseMs: v.optional(v.number()), retryBackoffMs: v.optional(v.number()) },
  handler: async (ctx, settings) => {
    for (const [field, value] of Object.entries(settings)) {
      if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
        throw new Error(`configure: ${field} must be a number of milliseconds, at least 0 (got ${value})`);
      }
    }
    const row = await ctx.db.query("flowSettings").first();
    if (row) {
      await ctx.db.patch(row._id, {
        leaseMs: settings.leaseMs ?? row.leaseMs,
        retryBackoffMs: settings.retryBackoffMs ?? row.retryBackoffMs,
      });
    } else {
      await ctx.db.insert("flowSettings", {
        leaseMs: settings.leaseMs ?? 30_000,
        retryBackoffMs: settings.retryBackoffMs ?? 1_000,
      });
    }
    return null;
  },
});

/**
 * Replaces the synced flows with these (from `convexManifests()` in codex-flows/convex): events are
 * matched against them from now on; flows left out are removed (their queued runs stay, and claims
 * of them carry a null manifest hash).
 */
export const syncManifests = mutation({
  args: {
    flows: v.array(
      v.object({
        name: v.string(),
        version: v.union(v.number(), v.string()),
        manifestHash: v.string(),
        steps: v.array(syncedStep),
      }),
    ),
  },
  handler: async (ctx, { flows }) => {
    const now = Date.now();
    const names = new Set<string>();
    for (const flow of flows) {
      if (names.has(flow.name)) throw new Error(`syncManifests: flow "${flow.name}" is listed twice`);
      names.add(flow.name);
    }
    for (const stored of await ctx.db.query("flowManifests").collect()) {
      if (!names.has(stored.name)) await ctx.db.delete(stored._id);
    }
    for (const flow of flows) {
      const stored = await ctx.db
        .query("flowManifests")
        .withIndex("by_name", (q) => q.eq("name", flow.name))
        .unique();
      if (stored) await ctx.db.replace(stored._id, { ...flow, syncedAt: now });
      else await ctx.db.insert("flowManifests", { ...flow, syncedAt: now });
    }
    return { flows: flows.map((flow) => flow.name) };
  },
});

/**
 * Accepts one FlowEvent: one queued run per matching step, every other step with its reason. A
 * duplicate id returns the stored event's run ids and queues nothing.
 */
export const fireEvent = mutation({
  args: { event: v.any() },
  handler: async (ctx, args) => {
    const event = checkEvent(args.event);
    const dispatched = await dispatchEvent(ctx, event, 0, Date.now());
    return dispatched;
  },
});

/** A new run for each step that matches the stored event now: the recovery path for failed or blocked runs. */
export const replayEvent = mutation({
  args: { eventId: v.string() },
  handler: async (ctx, { eventId }) => {
    const stored = await ctx.db
      .query("flowEvents")
      .withIndex("by_eventId", (q) => q.eq("eventId", eventId))
      .unique();
    if (!stored) throw new Error(`replayEvent: no event "${eventId}" is stored; fire it first`);
    const now = Date.now();
    const replay = stored.replays + 1;
    const plan = planEvent(JSON.parse(stored.body), await ctx.db.query("flowManifests").collect());
    await ctx.db.patch(stored._id, { replays: replay });
    const runIds = await queueRuns(ctx, eventId, plan.runs, replay, now);
    return {
      eventId,
      replay,
      runIds,
      skipped: plan.skipped,
      allRunIds: await runIdsOf(ctx, eventId),
    };
  },
});
