// A completed step's `next` events, fired in the completion's own mutation with the depth limit and parent id.
import type { FlowEvent, FlowResult } from "../../core/types.js";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { checkEvent, type Dispatched, dispatchEvent } from "./dispatch.js";
import { MAX_CHAIN_DEPTH } from "./settings.js";

export interface Chained {
  dispatched: Dispatched[];
  /** Next events that were dropped, one line each. */
  warnings: string[];
}

/**
 * An entry without `id` gets `<parent id>:<flow>:<step>[:replay-n]:<index>` (as the local backend),
 * so a resent completion or a second dispatch of the same parent yields the same ids and queues
 * nothing twice; `parentEventId` always names the parent.
 */
export async function fireNextEvents(
  ctx: MutationCtx,
  run: Doc<"flowRuns">,
  result: FlowResult | null,
  now: number,
): Promise<Chained> {
  const chained: Chained = { dispatched: [], warnings: [] };
  if (!result?.next?.length) return chained;
  const parent = await ctx.db
    .query("flowEvents")
    .withIndex("by_eventId", (q) => q.eq("eventId", run.eventId))
    .unique();
  if (!parent) return chained;
  const depth = parent.depth + 1;
  if (depth > MAX_CHAIN_DEPTH) {
    chained.warnings.push(
      `chain depth limit of ${MAX_CHAIN_DEPTH} reached; ${result.next.length} next event(s) dropped`,
    );
    return chained;
  }
  const base = [run.eventId, run.flow, run.step, ...(run.replay > 0 ? [`replay-${run.replay}`] : [])].join(":");
  for (const [index, next] of result.next.entries()) {
    let event: FlowEvent;
    try {
      event = checkEvent(
        { id: `${base}:${index}`, source: `codex-flows:${run.flow}/${run.step}`, ...next, parentEventId: run.eventId },
        `${run.flow}/${run.step} next[${index}]`,
      );
    } catch (error) {
      chained.warnings.push(`bad next event: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    chained.dispatched.push(await dispatchEvent(ctx, event, depth, now));
  }
  return chained;
}
