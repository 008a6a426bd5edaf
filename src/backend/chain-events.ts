// A completed step's `next` events, as the backend accepts them: ids derived from the parent run, depth-limited.
import { DEFAULT_MAX_DEPTH } from "../engine.js";
import { describeError } from "../errors.js";
import { normalizeEvent } from "../event.js";
import type { FlowEvent, FlowResult } from "../types.js";

export interface ChainSource {
  event: FlowEvent;
  flow: string;
  step: string;
  /** The run's replay number: a replayed step's `next` events must not collide with the first run's. */
  replay: number;
}

/** The events to accept for a step's `next`, and the problems with the ones that cannot be. */
export function chainedEvents(source: ChainSource, result: FlowResult): { events: FlowEvent[]; problems: string[] } {
  const events: FlowEvent[] = [];
  const problems: string[] = [];
  const base = `${source.event.id}:${source.flow}:${source.step}${source.replay > 0 ? `:replay-${source.replay}` : ""}`;
  (result.next ?? []).forEach((next, index) => {
    try {
      events.push(
        normalizeEvent(
          {
            id: `${base}:${index}`,
            source: `codex-flows:${source.flow}/${source.step}`,
            ...next,
            parentEventId: source.event.id,
          },
          `${source.flow}/${source.step} next[${index}]`,
        ),
      );
    } catch (error) {
      problems.push(describeError(error));
    }
  });
  return { events, problems };
}

export const MAX_CHAIN_DEPTH = DEFAULT_MAX_DEPTH;
