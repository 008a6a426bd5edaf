// A step's `next` entries as events to fire: ids derived from the parent and the step, parent id recorded.
import { describeError } from "../core/errors.js";
import type { FlowEvent, FlowResult } from "../core/types.js";
import { normalizeEvent } from "./event.js";

/** Where chained events come from. */
export interface ChainOrigin {
  event: FlowEvent;
  flow: string;
  step: string;
  /** Extra id segment, so a replayed step's `next` events do not collide with the first run's. */
  idSuffix?: string;
}

/**
 * The events a finished step asks for in `next`. An entry without `id` gets
 * `<parent id>:<flow>:<step>[:<suffix>]:<index>`, so firing the same parent twice yields the same ids
 * (which keeps the backend idempotent); `parentEventId` always names the parent. Entries that are not
 * valid events come back as problems, one line each.
 */
export function nextEvents(origin: ChainOrigin, result: FlowResult): { events: FlowEvent[]; problems: string[] } {
  const events: FlowEvent[] = [];
  const problems: string[] = [];
  const base = [origin.event.id, origin.flow, origin.step, ...(origin.idSuffix ? [origin.idSuffix] : [])].join(":");
  (result.next ?? []).forEach((next, index) => {
    try {
      const event = { id: `${base}:${index}`, source: `codex-flows:${origin.flow}/${origin.step}`, ...next };
      events.push(
        normalizeEvent({ ...event, parentEventId: origin.event.id }, `${origin.flow}/${origin.step} next[${index}]`),
      );
    } catch (error) {
      problems.push(describeError(error));
    }
  });
  return { events, problems };
}
