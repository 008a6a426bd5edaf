// A finished step's `next` events, planned as new events to be stored in the same commit as its completion.

import type { FlowResult } from "../../core/types.js";
import { nextEvents } from "../../engine/chain.js";
import { DEFAULT_MAX_DEPTH as MAX_CHAIN_DEPTH } from "../../engine/engine.js";
import type { FlowCatalog } from "../../engine/flow-catalog.js";
import type { StoredClaim } from "../../store/claim-run.js";
import type { InsertEventInput } from "../../store/insert-event.js";
import { eventIdProblem } from "../../wire/event-id.js";

/** How stale the flow list may be when an event is accepted (replays and runs always re-check). */
export const ACCEPT_FLOWS_MAX_AGE_MS = 200;

export interface ChainPlan {
  /** Each next event with its runs, ready for insertEvent (minus `now`). */
  events: Omit<InsertEventInput, "now">[];
  /** Next events that were dropped, one line each, for the log. */
  warnings: string[];
}

/**
 * The events a completed attempt asks for, with the runs each gets. Planned before the completion's
 * transaction (discovery reads the disk) and stored inside it, so a crash can never leave a completed
 * run whose next events were lost, nor next events of a run that did not complete.
 */
export function planChainedEvents(
  claim: Pick<StoredClaim, "event" | "flow" | "step" | "replay" | "eventDepth">,
  result: FlowResult | null,
  catalog: FlowCatalog,
): ChainPlan {
  if (!result?.next?.length) return { events: [], warnings: [] };
  const origin = {
    event: claim.event,
    flow: claim.flow,
    step: claim.step,
    idSuffix: claim.replay > 0 ? `replay-${claim.replay}` : undefined,
  };
  const { events, problems } = nextEvents(origin, result);
  const warnings = problems.map((problem) => `bad next event: ${problem}`);
  const depth = claim.eventDepth + 1;
  if (depth > MAX_CHAIN_DEPTH) {
    warnings.push(`chain depth limit of ${MAX_CHAIN_DEPTH} reached; ${events.length} next event(s) dropped`);
    return { events: [], warnings };
  }
  const planned: ChainPlan["events"] = [];
  for (const event of events) {
    const problem = eventIdProblem(event.id);
    if (problem) {
      warnings.push(`bad next event: id ${JSON.stringify(event.id)} ${problem}`);
      continue;
    }
    const plan = catalog.plan(event, ACCEPT_FLOWS_MAX_AGE_MS);
    planned.push({ event, runs: plan.runs, skipped: plan.skipped, depth });
  }
  return { events: planned, warnings };
}
